"""What an agent's desk shows first (pure)."""

from collections.abc import Iterable

from intake.domain.ticket import Ticket


def work_order(tickets: Iterable[Ticket]) -> list[Ticket]:
    """Most urgent first, then oldest first. SLA due times will join the key here."""
    return sorted(tickets, key=lambda t: (t.priority.rank, t.created_at, t.id))
