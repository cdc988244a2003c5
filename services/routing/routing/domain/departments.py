"""Per-department routing settings: which waiting statuses give the agent's slot back, and
whether tickets are offered to agents or assigned at once."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from routing.domain.offers import OfferSettings
from ticketflow_shared.events import TicketStatus

RELEASABLE = frozenset({TicketStatus.pending, TicketStatus.on_hold})
"""Statuses a department may choose to free the slot on; by default a waiting ticket keeps it."""
FINISHED = frozenset({TicketStatus.solved, TicketStatus.closed})


@dataclass(frozen=True)
class DepartmentSettings:
    name: str
    release_capacity_on: frozenset[TicketStatus] = field(default_factory=frozenset)
    is_default: bool = False
    offer: OfferSettings = field(default_factory=OfferSettings)

    @classmethod
    def of(
        cls,
        name: str,
        release_capacity_on: Iterable[TicketStatus],
        offer: OfferSettings | None = None,
    ) -> "DepartmentSettings":
        statuses = frozenset(TicketStatus(status) for status in release_capacity_on)
        if not statuses <= RELEASABLE:
            wrong = sorted(statuses - RELEASABLE)
            raise ValueError(f"only pending and on_hold can release capacity, not {wrong}")
        return cls(name, statuses, offer=offer or OfferSettings())

    @classmethod
    def default(cls, name: str) -> "DepartmentSettings":
        return cls(name, frozenset(), is_default=True)

    def releases(self, status: TicketStatus) -> bool:
        """Whether a ticket entering `status` gives its agent's slot back."""
        return status in FINISHED or status in self.release_capacity_on
