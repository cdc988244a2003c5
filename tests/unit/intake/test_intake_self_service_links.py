"""Self-service links and the customer's own solve: a link opens only what it was signed
for and only until it expires; the solve skips what an agent's solve needs, and only once."""

from datetime import timedelta

import pytest
from intake_fakes import T0, new_ticket

from intake.domain.categories import CategoryRule
from intake.domain.errors import UndoneSteps
from intake.domain.procedure import ProcedureStep
from intake.domain.self_service import (
    MAX_TOKEN_CHARS,
    ExpiredLink,
    InvalidLink,
    LinkSigner,
    SelfServiceLinks,
)
from ticketflow_shared.events import TicketResolvedV1, TicketStatus, TicketStatusChangedV1

SIGNER = LinkSigner(b"one-secret-of-enough-length", timedelta(days=30))
CUSTOMER = "customer:cus_1"


def test_a_token_stands_for_its_ticket_and_article_until_it_expires():
    token = SIGNER.token("TF-1", "reset", T0)

    link = SIGNER.check(token, T0 + timedelta(days=29))

    assert (link.ticket_id, link.article_id) == ("TF-1", "reset")
    assert link.expires_at == T0 + timedelta(days=30)
    with pytest.raises(ExpiredLink) as expired:
        SIGNER.check(token, T0 + timedelta(days=30))
    assert expired.value.status == 410


def test_an_altered_truncated_or_foreign_token_is_refused():
    token = SIGNER.token("TF-1", "reset", T0)
    version, body, signature = token.split(".")
    other = LinkSigner(b"another-secret-entirely", timedelta(days=30))
    # A body naming another ticket, signed with the wrong key.
    swapped = other.token("TF-2", "reset", T0).split(".")[1]
    refused = [
        f"{version}.{swapped}.{signature}",
        f"{version}.{body}.{signature[:-2]}",
        other.token("TF-1", "reset", T0),
        f"s0.{body}.{signature}",
        "s1.only-two",
        "s1." + "a" * MAX_TOKEN_CHARS + ".b",
        "",
    ]
    for candidate in refused:
        with pytest.raises(InvalidLink):
            SIGNER.check(candidate, T0)


def test_a_signed_body_that_is_not_the_claims_is_refused_not_a_crash():
    body = "bm90LWpzb24"  # "not-json", signed properly
    token = f"s1.{body}.{SIGNER._signature(body)}"

    with pytest.raises(InvalidLink):
        SIGNER.check(token, T0)


def test_a_link_url_carries_the_token_under_the_public_address():
    links = SelfServiceLinks("https://support.example.com", SIGNER)

    url = links.url("TF-1", "reset", T0)

    assert url.startswith("https://support.example.com/help?t=s1.")
    assert SIGNER.check(url.split("?t=", 1)[1], T0).ticket_id == "TF-1"


def test_the_customers_solve_skips_the_procedure_and_records_who_and_which_article():
    steps = (ProcedureStep("verify", "Verify the account", required=True),)
    ticket = new_ticket(CategoryRule("billing", procedure=steps, required_before_solve=("x",)))
    with pytest.raises(UndoneSteps):
        ticket.change_status(TicketStatus.solved, actor="user:ana", reason=None, now=T0)

    solved = ticket.solve_by_self_service("reset", "Reset", actor=CUSTOMER, now=T0)

    assert solved and ticket.status is TicketStatus.solved
    changed = next(e for e in ticket.events if isinstance(e, TicketStatusChangedV1))
    assert (changed.actor, changed.reason) == (CUSTOMER, "self-service: Reset (reset)")
    resolved = next(e for e in ticket.events if isinstance(e, TicketResolvedV1))
    assert (resolved.agent_id, resolved.self_service_article) == (None, "reset")


def test_a_second_solve_or_one_on_a_closed_ticket_changes_nothing():
    ticket = new_ticket()
    assert ticket.solve_by_self_service("reset", "Reset", actor=CUSTOMER, now=T0)
    ticket.events.clear()

    assert not ticket.solve_by_self_service("reset", "Reset", actor=CUSTOMER, now=T0)
    ticket.change_status(TicketStatus.closed, actor="system", reason=None, now=T0)
    ticket.events.clear()
    assert not ticket.solve_by_self_service("reset", "Reset", actor=CUSTOMER, now=T0)
    assert ticket.events == [] and ticket.status is TicketStatus.closed


@pytest.mark.parametrize("status", [TicketStatus.open, TicketStatus.pending, TicketStatus.on_hold])
def test_a_ticket_being_worked_or_waiting_is_solved_too(status):
    ticket = new_ticket()
    ticket.status = status

    assert ticket.solve_by_self_service("reset", "Reset", actor=CUSTOMER, now=T0)
    assert ticket.status is TicketStatus.solved
