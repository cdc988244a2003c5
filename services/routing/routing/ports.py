"""What the service layer needs from storage; Mongo adapters and unit-test fakes implement it.

The storage contract that keeps assignment safe without locks or transactions: an assignment
is ONE insert that two unique keys guard, (agent, slot) and ticket. Inserts and deletes are
atomic on MongoDB and FerretDB alike; conditional updates are not atomic on FerretDB 1.24.
"""

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from routing.domain import (
    Agent,
    Assignment,
    DepartmentSettings,
    QueueEntry,
    Resolution,
    RoutingRule,
    RoutingTicket,
    SkillRequirement,
    TicketRecord,
)
from routing.domain.calendars import Calendar
from routing.domain.offers import Cooldown, Offer
from routing.domain.policies import QueuePolicy
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.events import Envelope, Position, Presence, Priority, TicketStatus


class ClaimResult(StrEnum):
    claimed = "claimed"
    slot_taken = "slot_taken"  # another ticket took that slot first
    ticket_taken = "ticket_taken"  # the ticket is already held by some agent


ReleaseEvents = Callable[[Assignment], Awaitable[list[Envelope]]]
"""The events that freeing `assignment`'s slot causes (the agent's new load)."""


class AgentRepository(Protocol):
    """`now` is always the handler's time of the change, from its clock."""

    async def add(self, agent: Agent, events: list[Envelope], now: datetime) -> bool:
        """Insert a new agent with its events; False if the id is taken."""

    async def get(self, agent_id: str) -> Agent | None: ...

    async def search(
        self, presence: Presence | None = None, skill: str | None = None
    ) -> list[Agent]:
        """Agents ordered by id, optionally only those with `presence` or `skill`."""

    async def save(
        self, agent: Agent, expected_version: int, events: list[Envelope], now: datetime
    ) -> bool:
        """Write the profile and its events if still at `expected_version`."""

    async def available_for(self, requirement: SkillRequirement) -> list[Agent]:
        """Available agents with capacity and the skill at the level (loads not filled in)."""

    async def set_extras(
        self,
        agent_id: str,
        *,
        languages: list[str] | None = None,
        shift: Calendar | None = None,
        clear_shift: bool = False,
    ) -> bool:
        """Store an agent's languages and/or shift (`clear_shift`: none); False if unknown."""

    async def note_assigned(self, agent: Agent, now: datetime) -> None:
        """`agent`, as read for the choice, got a new ticket at `now` (for the fairness cap
        and the idle order)."""


class AssignmentRepository(Protocol):
    """Claims are held back: their events go out only once the claimer has checked that the
    ticket was not resolved meanwhile (`announce`), or never (`release` of an unannounced one).
    Announce and release race safely: exactly one of them settles an unannounced claim."""

    async def held_by(self, agent_ids: list[str]) -> dict[str, dict[int, str]]:
        """Per agent: slot -> ticket id of what it holds now (announced or not)."""

    async def claim(
        self,
        assignment: Assignment,
        events: list[Envelope],
        offer: Offer | None = None,
        offered: list[Envelope] | None = None,
    ) -> ClaimResult:
        """Insert the assignment with its events, which nothing publishes (the outbox sweep
        included) before `announce`. With an `offer`, the claim is that offer, its `offered`
        events in the claim's outbox (for `OfferRepository.publish_offered`)."""

    async def announce(self, ticket_id: str, now: datetime) -> None:
        """Publish the claim's events and hand any left over to the outbox sweep; a repeat
        publishes at most what is still pending, and a claim released meanwhile nothing."""

    async def unannounced(self, claimed_before: datetime, limit: int) -> list[str]:
        """Tickets whose claim, made before `claimed_before`, was never announced or released
        (the claimer crashed in between)."""

    async def of_ticket(self, ticket_id: str) -> Assignment | None: ...

    async def held_tickets(self) -> list[str]:
        """Every ticket held now, announced or not."""

    async def release(
        self, ticket_id: str, events_for: ReleaseEvents, now: datetime
    ) -> Assignment | None:
        """Free the slot holding `ticket_id`; None if nothing was freed here.

        An unannounced claim is deleted with its events unpublished. An announced one first
        records `events_for(it)` in its own outbox (once, however often it is released), then
        publishes every pending event and is deleted; if publishing fails it stays, and raises.
        """


class TicketRepository(Protocol):
    """Each record keeps, per producer, the highest `sequence` of the events applied to it
    (`Position.advance`), so a late or repeated event can be told from a newer one."""

    async def add(
        self, ticket: RoutingTicket, now: datetime, position: Position | None = None
    ) -> bool:
        """Insert, received at `now`, with `position` applied; False if routing has seen
        this ticket before."""

    async def get(self, ticket_id: str) -> RoutingTicket | None: ...

    async def record(self, ticket_id: str, producer: str) -> TicketRecord | None:
        """The ticket with whether it was routed and the highest applied from `producer`."""

    async def is_routed(self, ticket_id: str) -> bool: ...

    async def mark_routed(self, ticket_id: str, position: Position | None = None) -> None:
        """The ticket has been assigned or queued once (and `position` is applied)."""

    async def advance(self, ticket_id: str, position: Position | None) -> None:
        """Record `position` as applied to the ticket (never lowering what is recorded)."""

    async def revise(self, ticket: RoutingTicket) -> None:
        """Store the ticket's department, requirement and priority, marked unrouted: it is to
        be routed again, by the sweep if the caller does not get that far."""

    async def reprioritize(
        self, ticket_id: str, priority: Priority, position: Position | None
    ) -> None:
        """Store the new priority with `position` applied, in one write."""

    async def unrouted(self, received_before: datetime, limit: int) -> list[RoutingTicket]: ...

    async def next_version(self, ticket_id: str) -> int | None:
        """Raise the version of routing's record of the ticket by one and return it: the
        `sequence` of the ticket event about to be recorded. None if there is no record."""


class QueueRepository(Protocol):
    async def enqueue(
        self, ticket: RoutingTicket, events: list[Envelope], now: datetime, new: bool = False
    ) -> bool:
        """Insert, queued at `now`, its events held back until `announce`; False if the
        ticket was queued before. `new`: routing recorded the ticket just now, from the
        ticket.created still being handled (see `assigning.route`)."""

    async def announce(
        self, ticket_id: str, now: datetime, held: list[Envelope] | None = None
    ) -> None:
        """Publish the entry's held ticket.queued.v1 (once; nothing if it left the queue).

        `held`: the events the caller's own `enqueue` of this entry held, which need not be
        read again; they are published only if the entry still holds exactly them."""

    async def get(self, ticket_id: str) -> QueueEntry | None: ...

    async def remove(self, ticket_id: str) -> bool:
        """Leave the queue (pending events are published first)."""

    async def waiting(
        self,
        limit: int,
        skill: str | None = None,
        excluding: Collection[tuple[SkillRequirement, str | None]] = (),
        departments: Collection[str] | None = None,
    ) -> list[QueueEntry]:
        """Queued tickets in service order, leaving out those in any of the lanes
        `excluding` (`RoutingTicket.lane`); only those of `departments` when given."""

    async def size(
        self, skill: str | None = None, departments: Collection[str] | None = None
    ) -> int:
        """How many tickets wait (needing `skill`, of `departments`, when given)."""

    async def waiting_for(self, agent: Agent, limit: int) -> list[QueueEntry]:
        """Queued tickets `agent` has the skills for, of its department or of none, in
        service order."""

    async def reprioritize(self, ticket_id: str, priority: Priority) -> bool:
        """A queued ticket's new priority, which moves it in service order; False if not
        queued."""

    async def set_sla_due(self, ticket_id: str, due: datetime | None) -> None:
        """Order a queued ticket by its SLA due time within its priority."""

    async def move_up(self, ticket_id: str) -> bool:
        """Put a queued ticket first within its priority; False if it is not queued."""

    async def set_requirement(self, category: str, requirement: SkillRequirement) -> int:
        """Queued tickets of `category` now need `requirement`."""


class ResolutionRepository(Protocol):
    async def resolved_among(self, ticket_ids: list[str]) -> set[str]:
        """Those of `ticket_ids` that were resolved."""

    async def record(self, resolution: Resolution, events: list[Envelope], now: datetime) -> bool:
        """Insert with its events; False, recording nothing, if the ticket was resolved before."""

    async def restate(self, ticket_id: str, status: TicketStatus) -> None:
        """A ticket still released moved to another releasing status (solved to closed)."""

    async def remove(self, ticket_id: str) -> bool:
        """The ticket wants an agent again; False if it was not released."""

    async def get(self, ticket_id: str) -> Resolution | None: ...


class RuleRepository(Protocol):
    async def get(self, category: str) -> RoutingRule | None: ...

    async def in_force(self, category: str) -> RoutingRule | None:
        """As `get`, from a copy another process's writes reach within seconds (tickets)."""

    async def put(self, rule: RoutingRule, now: datetime) -> None: ...

    async def all(self) -> list[RoutingRule]: ...


class DepartmentRepository(Protocol):
    async def get(self, name: str) -> DepartmentSettings | None: ...

    async def in_force(self, name: str) -> DepartmentSettings | None:
        """As `get`, from a copy another process's writes reach within seconds (tickets)."""

    async def put(self, settings: DepartmentSettings, now: datetime) -> None: ...

    async def all(self) -> list[DepartmentSettings]: ...


class OfferRepository(Protocol):
    """Pending offers are unannounced claims that carry an offer; an offer is settled by one
    insert under its id, so of racing settlers exactly one gets True from `settle`."""

    async def pending(self, agent_id: str | None = None) -> list[Offer]:
        """Offers waiting for an answer (of `agent_id`), soonest to expire first."""

    async def of_ticket(self, ticket_id: str) -> Offer | None:
        """The offer the ticket's claim is, while that claim is unannounced."""

    async def publish_offered(self, ticket_id: str) -> None:
        """Publish the ticket.offered.v1 that the claim making the offer holds."""

    async def ended(self, offer_id: str) -> Offer | None:
        """The offer as it was settled; None while it waits (or if there is none)."""

    async def get(self, offer_id: str) -> Offer | None:
        """The offer, settled or waiting."""

    async def settle(self, offer: Offer, events: list[Envelope], now: datetime) -> bool:
        """Record the end of `offer` with its events unpublished; False if it had ended."""

    async def publish_ended(self, offer_id: str) -> None:
        """Publish the settled offer's events."""

    async def declined_recently(self, ticket_id: str, now: datetime) -> set[str]:
        """Agents not to be offered `ticket_id` now: they declined or let it run out lately."""

    async def cool_down(self, ticket_id: str, cooldown: Cooldown, now: datetime) -> None: ...


class OfferTimers(Protocol):
    """Wakes the process when an offer runs out (the store is polled besides)."""

    def arm(self, offer: Offer) -> None: ...

    def disarm(self, offer_id: str) -> None: ...


class PolicyRepository(Protocol):
    async def get(self, key: str) -> QueuePolicy | None: ...

    async def for_ticket(self, department: str | None, category: str) -> QueuePolicy | None:
        """The category's policy in the department, else the department's; None if neither."""

    async def all(self) -> list[QueuePolicy]: ...

    async def put(self, policy: QueuePolicy, now: datetime) -> QueuePolicy:
        """Store as the next version of its key; the stored policy."""

    async def delete(self, key: str, now: datetime) -> bool: ...


class DecisionRepository(Protocol):
    async def put(self, ticket_id: str, decision: dict[str, Any]) -> None: ...

    async def get(self, ticket_id: str) -> dict[str, Any] | None: ...


class ShiftStarts(Protocol):
    async def arm(self, agent_id: str, shift: Calendar | None) -> None:
        """Wake routing at the agent's next shift start (none: cancel)."""


class AgentWriteMarks(Protocol):
    """Whether agents may have become able to take more since a mark (see `adapters.watched`)."""

    def mark(self) -> int: ...

    def quiet_since(self, mark: int) -> bool:
        """No write of agents or claims began or ended since `mark`, and this process would
        have seen one made by any process; False wherever it cannot know."""


@dataclass
class Stores:
    """Everything a handler touches, passed by name; tests build it from fakes."""

    agents: AgentRepository
    assignments: AssignmentRepository
    tickets: TicketRepository
    queue: QueueRepository
    resolutions: ResolutionRepository
    rules: RuleRepository
    departments: DepartmentRepository
    clock: Clock = field(default=SYSTEM_CLOCK)
    # Without them (unit tests' fakes) every department assigns at once.
    offers: OfferRepository | None = None
    offer_timers: OfferTimers | None = None
    # When an agent's shift starts, their backlog drains; without it only API calls drain.
    shift_starts: ShiftStarts | None = None
    # Queue policies and the last decision per ticket; without them, rules alone route.
    policies: PolicyRepository | None = None
    decisions: DecisionRepository | None = None
    # Without it (fakes, or where a process cannot know) a new ticket queued is looked at again.
    agent_writes: AgentWriteMarks | None = None

    def now(self) -> datetime:
        """The time, read by a handler and passed down to what it writes."""
        return self.clock.now()
