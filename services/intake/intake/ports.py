"""What the handlers need from storage; MongoDB adapters and test fakes both fit."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from intake.domain.categories import CategoryRule
from intake.domain.crm_pushes import CrmPush
from intake.domain.customer_identities import Identity
from intake.domain.customer_profiles import CustomerProfile, MergeUndo
from intake.domain.macros import Macro
from intake.domain.procedure import ProcedureStep
from intake.domain.ticket import Ticket, TicketStatus
from intake.domain.timelines import TimelineTicket
from ticketflow_shared.access.principal import Scope


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> None:
        """Insert the ticket with its recorded events; raise TicketIdTaken if the id exists."""

    async def get(self, ticket_id: str) -> Ticket | None: ...

    async def save(self, ticket: Ticket, expected_version: int) -> None:
        """Write changes and recorded events; raise ConcurrentUpdate unless the stored ticket
        is still at `expected_version` (the version it was loaded at)."""

    async def for_agent(
        self, agent_id: str, statuses: tuple[TicketStatus, ...], limit: int
    ) -> list[Ticket]:
        """At most `limit` of the tickets `agent_id` owns in one of `statuses`, in any order."""

    async def due_to_close(self, solved_by: datetime, limit: int) -> list[str]:
        """Ids of at most `limit` tickets solved at or before `solved_by`, oldest first."""

    async def find(
        self,
        *,
        status: TicketStatus | None,
        customer_email: str | None,
        limit: int,
        scope: Scope = ...,
    ) -> tuple[list[Ticket], int]:
        """Newest first, at most `limit`, of the tickets `scope` sees; and how many match."""


class CategoryRepository(Protocol):
    async def get(self, name: str) -> CategoryRule | None: ...

    async def all(self) -> list[CategoryRule]: ...

    async def put(self, rule: CategoryRule) -> None: ...

    async def put_procedure(self, name: str, steps: tuple[ProcedureStep, ...]) -> bool:
        """Replace the category's procedure; False if there is no such category."""


class CloseClaims(Protocol):
    async def claim(self, ticket_id: str, version: int, now: datetime, lease: timedelta) -> bool:
        """Whether this caller, and no other, may close the ticket at `version`."""

    async def forget_before(self, before: datetime) -> int: ...


class MacroRepository(Protocol):
    async def get(self, macro_id: str) -> Macro | None: ...

    async def all(self) -> list[Macro]: ...

    async def put(self, macro: Macro) -> bool:
        """Create or replace the macro; True if it was created."""

    async def delete(self, macro_id: str) -> bool:
        """True if there was a macro to delete."""


class CustomerProfiles(Protocol):
    async def get(self, customer_id: str) -> CustomerProfile | None: ...

    async def identity_keys(self, customer_id: str) -> list[str]:
        """The stored keys of the identities listed on the customer's record."""

    async def list_identities(self, customer_id: str, keys: list[str]) -> None:
        """Note identity keys as the customer's, before they are claimed."""

    async def save_crm_record(self, profile: CustomerProfile) -> None: ...

    async def record_merge(
        self, survivor: str, merged: CustomerProfile, undo: MergeUndo | None = None
    ) -> None:
        """First step of a merge: the survivor's timeline holds the merged record's from now;
        `undo` is kept unless one is already."""

    async def mark_merged(self, merged: str, survivor: str) -> None: ...

    async def merge_undo(self, survivor: str, merged: str) -> MergeUndo | None:
        """What merging `merged` into `survivor` changed; None if nothing was kept."""

    async def undo_merge(
        self, survivor: str, merged: str, undo: MergeUndo, clear: tuple[str, ...]
    ) -> None:
        """The survivor without what the merge gave it (and the `clear` fields), in one write."""

    async def mark_unmerged(self, merged: str) -> None: ...


class CustomerIdentities(Protocol):
    def stored_key(self, identity: Identity) -> str:
        """The identity's key as stored (addresses and phones as keyed hashes)."""

    async def owner(self, identity: Identity) -> str | None: ...

    async def claim(self, identity: Identity, customer_id: str, now: datetime) -> str:
        """The identity's customer: `customer_id` if this call claimed it, else its owner."""

    async def move(self, key: str, from_customer: str, to_customer: str) -> None:
        """Give a stored identity to another customer, if `from_customer` still holds it."""


@dataclass(frozen=True)
class Filed:
    """One customer's timeline as stored: its entries, and the summaries kept, unopened."""

    entries: list[str] = field(default_factory=list)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)


class CustomerTimelines(Protocol):
    async def file(self, customer_id: str, ticket: TimelineTicket) -> None: ...

    async def filed(self, customer_id: str) -> Filed: ...

    def opened(self, summary: dict[str, Any]) -> TimelineTicket | None:
        """The summary as the timeline shows it; None if it keeps no messages."""


class CrmPushes(Protocol):
    async def take(self, push: CrmPush, now: datetime) -> CrmPush | None:
        """None when this call noted the push first; else the push noted under its key."""

    async def finish(self, key: str, customer_id: str, ticket_id: str | None) -> None: ...

    async def release(self, key: str) -> None:
        """Forget a push refused before it finished."""

    async def forget_taken_before(self, before: datetime, limit: int) -> int:
        """Drop at most `limit` entries taken before `before`; how many went."""
