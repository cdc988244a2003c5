"""SLA compliance from the real events: per target, met / breached / at risk.

A target (of one cycle) is breached when `sla.breached.v1` came for it; met when what it
waits for happened without one: the first public reply (first response), an agent's public
reply after each customer message that followed it (next response, one cycle per such
message), a solve (resolution); at risk when warned and neither yet. Everything is read from
the row's set members at query time, so arrival order and repeats change nothing.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from reporting.domain.history import in_order
from reporting.domain.kpis import ratio
from reporting.domain.routing_facts import BREACHED, WARNING
from reporting.domain.tickets import TicketRow
from ticketflow_shared.events import SlaTarget

MET, AT_RISK = "met", "at_risk"
NONE = "(none)"


@dataclass(frozen=True)
class Outcome:
    ticket_id: str
    target: str
    cycle: int
    state: str  # met | breached | at_risk
    department: str
    priority: str


class Compliance(BaseModel):
    """One group's targets: `compliance` is met / (met + breached), None before either."""

    target: str
    department: str | None = None
    priority: str | None = None
    met: int = 0
    breached: int = 0
    at_risk: int = 0
    compliance: float | None = None


class SlaReport(BaseModel):
    by_target: list[Compliance]
    by_department: list[Compliance]
    by_priority: list[Compliance]
    at_risk_tickets: list[str]


def outcomes(row: TicketRow) -> list[Outcome]:
    """Each target cycle of the ticket that is settled or warned about."""
    marks = {(m.target, m.cycle, m.kind): m for m in row.sla_marks}
    met = set(_met_cycles(row))
    keys = {(t, c) for t, c, _ in marks} | met
    found = []
    for target, cycle in sorted(keys):
        breach = marks.get((target, cycle, BREACHED))
        said = breach or marks.get((target, cycle, WARNING))
        if breach is not None:
            state = BREACHED
        elif (target, cycle) in met:
            state = MET
        else:
            state = AT_RISK
        department = (said.department if said else None) or row.owning_department
        priority = (said.priority if said else None) or row.current_priority
        found.append(
            Outcome(row.ticket_id, target, cycle, state, department or NONE, priority or NONE)
        )
    return found


def _met_cycles(row: TicketRow) -> Iterable[tuple[str, int]]:
    """The target cycles whose awaited action happened (a breach may still have come first)."""
    first = row.first_response
    if first is not None:
        yield SlaTarget.first_response.value, 0
        thread = [m for m in in_order(row.thread) if m.order > first.order]
        cycle, waiting = 0, False
        for message in thread:
            if message.is_from_customer and not waiting:
                cycle, waiting = cycle + 1, True
            elif message.is_public_reply and waiting:
                yield SlaTarget.next_response.value, cycle
                waiting = False
    if row.resolved_at is not None:
        yield SlaTarget.resolution.value, 0


def sla_report(rows: Sequence[TicketRow]) -> SlaReport:
    every = [outcome for row in rows for outcome in outcomes(row)]
    return SlaReport(
        by_target=_grouped(every, lambda o: (o.target, None, None)),
        by_department=_grouped(every, lambda o: (o.target, o.department, None)),
        by_priority=_grouped(every, lambda o: (o.target, None, o.priority)),
        at_risk_tickets=sorted({o.ticket_id for o in every if o.state == AT_RISK}),
    )


def _grouped(outcomes: Iterable[Outcome], key) -> list[Compliance]:
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for outcome in outcomes:
        counts[key(outcome)][outcome.state] += 1
    return [
        Compliance(
            target=target,
            department=department,
            priority=priority,
            met=found[MET],
            breached=found[BREACHED],
            at_risk=found[AT_RISK],
            compliance=ratio(found[MET], found[MET] + found[BREACHED]),
        )
        for (target, department, priority), found in sorted(
            counts.items(), key=lambda item: tuple(v or "" for v in item[0])
        )
    ]
