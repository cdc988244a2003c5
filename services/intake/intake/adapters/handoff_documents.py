"""How a ticket's handoffs are laid out in its document: the ownership chain, the time owned,
the followers and the consults. Notes, questions and answers are sealed like history notes;
department and agent names are values, never keys (they are free-form)."""

from dataclasses import asdict
from typing import Any

from intake.domain.consults import Consult
from intake.domain.ownership import Ownership, OwnershipPeriod
from intake.domain.ticket import Ticket
from ticketflow_shared.pii import FieldCipher

NOTE = "ticket.ownership.note"
QUESTION = "ticket.consult.question"
ANSWER = "ticket.consult.answer"
# The fields a re-seal pass rewrites along with those documents.py names.
SEALED = ("ownership", "consults")


def handoff_fields(ticket: Ticket, cipher: FieldCipher) -> dict[str, Any]:
    """What save() writes about handoffs, with the plain fields lists and queries filter on."""
    chain = ticket.ownership
    return {
        # Fixed at creation until transfers: they move it.
        "department": ticket.department,
        "ownership": [_period(period, cipher) for period in chain.periods],
        # Top-level lists, not one sub-document: FerretDB 1.x may skip a `$set` of a
        # sub-document whose values partly equal the stored ones.
        "department_seconds": _totals(chain.department_seconds),
        "agent_seconds": _totals(chain.agent_seconds),
        "followers": list(chain.followers),
        "consults": [_consult(consult, cipher) for consult in ticket.consults],
        "consults_open": sorted({c.department for c in ticket.consults if c.status == "open"}),
        "consults_answered": sorted(
            {c.department for c in ticket.consults if c.status == "answered"}
        ),
    }


def handoff_parts(doc: dict[str, Any], cipher: FieldCipher) -> dict[str, Any]:
    """Ticket fields from a document; one from before handoffs has none of them."""
    ownership = Ownership(
        periods=[
            OwnershipPeriod(**{**entry, "note": cipher.open_optional(entry.get("note"), NOTE)})
            for entry in doc.get("ownership") or []
        ],
        department_seconds=_from_totals(doc.get("department_seconds")),
        agent_seconds=_from_totals(doc.get("agent_seconds")),
        followers=list(doc.get("followers") or []),
    )
    consults = [
        Consult(
            **{
                **entry,
                "question": cipher.open(entry["question"], QUESTION),
                "answer": cipher.open_optional(entry.get("answer"), ANSWER),
            }
        )
        for entry in doc.get("consults") or []
    ]
    return {"ownership": ownership, "consults": consults, "traceparent": doc.get("traceparent")}


def _period(period: OwnershipPeriod, cipher: FieldCipher) -> dict[str, Any]:
    return {**asdict(period), "note": cipher.seal_optional(period.note, NOTE)}


def _consult(consult: Consult, cipher: FieldCipher) -> dict[str, Any]:
    return {
        **asdict(consult),
        "question": cipher.seal(consult.question, QUESTION),
        "answer": cipher.seal_optional(consult.answer, ANSWER),
    }


def _totals(totals: dict[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "seconds": seconds} for name, seconds in sorted(totals.items())]


def _from_totals(rows: list[dict[str, Any]] | None) -> dict[str, float]:
    return {row["name"]: float(row["seconds"]) for row in rows or []}
