"""In-memory stand-ins for intake's repositories, and builders for test data."""

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from intake.domain.categories import CategoryRule
from intake.domain.commands import CreateTicket
from intake.domain.errors import ConcurrentUpdate, TicketIdTaken
from intake.domain.procedure import ProcedureStep
from intake.domain.ticket import Ticket, TicketStatus
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import (
    Channel,
    Customer,
    Payload,
    Position,
    Priority,
    TicketAssignedV1,
    TicketQueuedV1,
)

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class FakeTickets:
    """Keeps copies, as a store would; `published` lists every event written with a change,
    `sequences` the sequence each went out with (the ticket's version, as the store stamps)."""

    def __init__(self) -> None:
        self.stored: dict[str, Ticket] = {}
        self.published: list[Payload] = []
        self.sequences: list[int] = []
        self.conflicts_to_raise = 0

    async def add(self, ticket: Ticket) -> None:
        if ticket.id in self.stored:
            raise TicketIdTaken(ticket.id)
        self._keep(ticket)

    async def get(self, ticket_id: str) -> Ticket | None:
        stored = self.stored.get(ticket_id)
        return copy.deepcopy(stored) if stored else None

    async def save(self, ticket: Ticket, expected_version: int) -> None:
        if self.conflicts_to_raise:
            self.conflicts_to_raise -= 1
            raise ConcurrentUpdate(ticket.id)
        if self.stored[ticket.id].version != expected_version:
            raise ConcurrentUpdate(ticket.id)
        self._keep(ticket)

    async def find(
        self,
        *,
        status: TicketStatus | None,
        customer_email: str | None,
        limit: int,
        scope: Scope = Scope(everything=True),  # noqa: B008
    ) -> tuple[list[Ticket], int]:
        found = [
            t
            for t in self.stored.values()
            if (status is None or t.status is status)
            and scope.allows(t.departments, t.created_by)
            and (customer_email is None or t.customer.email.lower() == customer_email.lower())
        ]
        found.sort(key=lambda t: t.created_at, reverse=True)
        return found[:limit], len(found)

    async def for_agent(
        self, agent_id: str, statuses: tuple[TicketStatus, ...], limit: int
    ) -> list[Ticket]:
        found = [
            copy.deepcopy(t)
            for t in self.stored.values()
            if t.assignee and t.assignee.agent_id == agent_id and t.status in statuses
        ]
        return found[:limit]

    async def due_to_close(self, solved_by: datetime, limit: int) -> list[str]:
        due = [
            t
            for t in self.stored.values()
            if t.status is TicketStatus.solved and t.resolved_at and t.resolved_at <= solved_by
        ]
        due.sort(key=lambda t: t.resolved_at or solved_by)
        return [t.id for t in due[:limit]]

    def _keep(self, ticket: Ticket) -> None:
        self.published.extend(ticket.events)
        # As the store stamps them: each event its own version, the last the ticket's.
        first = ticket.version - len(ticket.events) + 1
        self.sequences.extend(range(first, ticket.version + 1))
        ticket.events.clear()
        self.stored[ticket.id] = copy.deepcopy(ticket)


class FakeCloseClaims:
    """Claims by key, as the store's unique `_id` keeps them (without takeovers)."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, int], datetime] = {}

    async def claim(self, ticket_id: str, version: int, now: datetime, lease: timedelta) -> bool:
        if (ticket_id, version) in self.held:
            return False
        self.held[ticket_id, version] = now
        return True

    async def forget_before(self, before: datetime) -> int:
        old = [key for key, at in self.held.items() if at < before]
        for key in old:
            del self.held[key]
        return len(old)


class FakeCategories:
    def __init__(self, *rules: CategoryRule) -> None:
        self.rules = {rule.name: rule for rule in rules}

    async def get(self, name: str) -> CategoryRule | None:
        return self.rules.get(name)

    async def all(self) -> list[CategoryRule]:
        return sorted(self.rules.values(), key=lambda rule: rule.name)

    async def put(self, rule: CategoryRule) -> None:
        kept = self.rules.get(rule.name)
        self.rules[rule.name] = replace(rule, procedure=kept.procedure if kept else ())

    async def put_procedure(self, name: str, steps: tuple[ProcedureStep, ...]) -> bool:
        if name not in self.rules:
            return False
        self.rules[name] = replace(self.rules[name], procedure=steps)
        return True


BILLING = CategoryRule("billing", ("order_id",), Priority.high, "billing")
GENERAL = CategoryRule("general")


def create_command(**overrides: object) -> CreateTicket:
    fields: dict[str, object] = {
        "channel": Channel.web,
        "customer": Customer(email="ada@example.com", name="Ada"),
        "subject": "Charged twice",
        "body": "My card was charged twice for order 42.",
        "category": "billing",
        "fields": {"order_id": "42"},
    }
    return CreateTicket.model_validate({**fields, **overrides})


def new_ticket(rule: CategoryRule = GENERAL, ticket_id: str = "TF-TEST00000001") -> Ticket:
    ticket = Ticket.create(
        ticket_id=ticket_id,
        channel=Channel.email,
        customer=Customer(email="ada@example.com"),
        subject="Help",
        body="Please help.",
        rule=rule,
        fields={},
        priority=None,
        now=T0,
    )
    ticket.events.clear()
    return ticket


def routing(sequence: int | None, event_id: str | None = None) -> Position:
    """Where one of routing's events stands in routing's history of the ticket."""
    return Position(event_id or f"routing-{sequence}", "routing", sequence)


def queued(ticket_id: str, at: datetime = T0) -> TicketQueuedV1:
    return TicketQueuedV1(
        ticket_id=ticket_id, required_skill="general", priority=Priority.normal, queued_at=at
    )


def assigned(ticket_id: str, agent_id: str = "agent-1", at: datetime = T0) -> TicketAssignedV1:
    return TicketAssignedV1(
        ticket_id=ticket_id,
        agent_id=agent_id,
        agent_name=f"Agent {agent_id}",
        department="support",
        skill="general",
        skill_level=3,
        assigned_at=at,
    )


# A valid POST /tickets body: billing, with the order_id that category requires.
TICKET = {
    "channel": "web",
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "subject": "Charged twice",
    "body": "Order 42 was charged twice.",
    "category": "billing",
    "fields": {"order_id": "42"},
}
