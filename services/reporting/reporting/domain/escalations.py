"""Escalations per trigger and department, and the tickets that were escalated."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from reporting.domain.history import in_order
from reporting.domain.tickets import TicketRow

NONE = "(none)"


class EscalationCount(BaseModel):
    trigger: str
    department: str
    count: int


class EscalatedTicket(BaseModel):
    ticket_id: str
    department: str | None
    status: str
    priority: str | None
    escalations: int
    triggers: list[str]
    last_trigger: str
    last_reason: str
    last_escalated_at: datetime
    paged: bool


class EscalationReport(BaseModel):
    total: int
    by_trigger: dict[str, int]
    by_department: list[EscalationCount]
    tickets: list[EscalatedTicket]


def escalation_report(rows: Sequence[TicketRow]) -> EscalationReport:
    """Each escalation event counted once (its department, else the ticket's owner); the
    tickets newest escalation first."""
    pairs = Counter(
        (e.trigger, e.department or row.owning_department or NONE)
        for row in rows
        for e in row.escalations
    )
    tickets = [_ticket(row) for row in rows if row.escalations]
    return EscalationReport(
        total=sum(pairs.values()),
        by_trigger=_per_trigger(pairs),
        by_department=[
            EscalationCount(trigger=trigger, department=department, count=count)
            for (trigger, department), count in sorted(pairs.items())
        ],
        tickets=sorted(tickets, key=lambda t: (t.last_escalated_at, t.ticket_id), reverse=True),
    )


def _per_trigger(pairs: Counter[tuple[str, str]]) -> dict[str, int]:
    triggers: Counter[str] = Counter()
    for (trigger, _), count in pairs.items():
        triggers[trigger] += count
    return dict(sorted(triggers.items()))


def _ticket(row: TicketRow) -> EscalatedTicket:
    ordered = sorted(in_order(row.escalations), key=lambda e: e.at)
    last = ordered[-1]
    return EscalatedTicket(
        ticket_id=row.ticket_id,
        department=row.owning_department,
        status=row.status.value,
        priority=row.current_priority,
        escalations=len(ordered),
        triggers=sorted({e.trigger for e in ordered}),
        last_trigger=last.trigger,
        last_reason=last.reason,
        last_escalated_at=last.at,
        paged=any(e.page_supervisor for e in ordered),
    )
