"""Routing's offers, escalations and SLA clock events, kept on the ticket row as set members:
each is a fact that commutes with the others, so any arrival order and any repeat give the
same row (the reports read them at query time)."""

from datetime import datetime

from reporting.domain.history import Member

WARNING = "warning"
BREACHED = "breached"


class Offer(Member):
    offer_id: str
    agent_id: str
    department: str | None = None


class OfferEnd(Member):
    offer_id: str
    agent_id: str
    outcome: str


class Escalation(Member):
    trigger: str
    reason: str
    source: str
    department: str | None = None
    priority: str | None = None
    page_supervisor: bool = False
    overflow_to: str | None = None


class SlaMark(Member):
    """A warning or a breach of one target's cycle."""

    kind: str
    target: str
    cycle: int = 0
    policy: str
    priority: str
    department: str | None = None
    due_at: datetime
