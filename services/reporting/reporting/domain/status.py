"""Ticket status precedence: a ticket only ever moves forward, whatever order events arrive in."""

from enum import StrEnum


class TicketStatus(StrEnum):
    # Declaration order is lifecycle order; the read model keeps the highest rank it has seen.
    created = "created"
    queued = "queued"
    assigned = "assigned"
    resolved = "resolved"

    @property
    def rank(self) -> int:
        return list(TicketStatus).index(self)

    @classmethod
    def from_rank(cls, rank: int) -> "TicketStatus":
        statuses = list(cls)
        return statuses[max(0, min(rank, len(statuses) - 1))]

    @property
    def is_open(self) -> bool:
        return self is not TicketStatus.resolved
