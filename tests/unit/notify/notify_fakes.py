"""In-memory stand-ins for notify's repositories, mail server and outbox publisher."""

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from factories import ticket_created
from notify.domain import catalog, templates
from notify.domain.catalog import DEFAULT_TEMPLATES, UnknownTemplate
from notify.domain.deliveries import Delivery, DeliveryStatus, OutgoingEmail
from notify.domain.paging import PagingList
from notify.domain.templates import RenderedEmail, Template
from notify.domain.tickets import TicketView
from notify.handlers import NotifyDeps
from notify.ports import EmailNotSent
from ticketflow_shared import outbox
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.events import (
    AuthorKind,
    Envelope,
    Payload,
    Priority,
    TicketAssignedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    Visibility,
)

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeTickets:
    def __init__(self) -> None:
        self.rows: dict[str, TicketView] = {}
        self.delivery_ids: dict[str, list[str]] = {}
        self.page_ids: dict[str, list[str]] = {}
        self.writes = 0

    async def add(self, ticket: TicketView, delivery_id: str, message_id: str) -> None:
        self.writes += 1
        self.rows.setdefault(ticket.ticket_id, ticket)
        self._note_message(ticket.ticket_id, message_id)
        await self.note_delivery(ticket.ticket_id, delivery_id)

    async def get(self, ticket_id: str) -> TicketView | None:
        return self.rows.get(ticket_id)

    async def get_noting(
        self,
        ticket_id: str,
        delivery_id: str,
        message_id: str,
        agent_department: str | None = None,
    ) -> TicketView | None:
        self.writes += 1
        if ticket_id not in self.rows:
            return None
        await self.note_delivery(ticket_id, delivery_id)
        self._note_message(ticket_id, message_id)
        ticket = self.rows[ticket_id]
        if agent_department and agent_department not in ticket.agent_departments:
            ticket = replace(
                ticket, agent_departments=(*ticket.agent_departments, agent_department)
            )
            self.rows[ticket_id] = ticket
        return ticket

    def _note_message(self, ticket_id: str, message_id: str) -> None:
        ticket = self.rows[ticket_id]
        if message_id not in ticket.thread:
            self.rows[ticket_id] = replace(ticket, thread=(*ticket.thread, message_id))

    async def note_delivery(self, ticket_id: str, delivery_id: str) -> None:
        ids = self.delivery_ids.setdefault(ticket_id, [])
        if delivery_id not in ids:
            ids.append(delivery_id)

    async def deliveries_of(self, ticket_id: str) -> list[str]:
        return [*self.delivery_ids.get(ticket_id, []), *self.page_ids.get(ticket_id, [])]

    async def note_pages(self, ticket_id: str, delivery_ids: list[str]) -> None:
        ids = self.page_ids.setdefault(ticket_id, [])
        ids += [d for d in delivery_ids if d not in ids]


class FakePaging:
    def __init__(self, **emails: tuple[str, ...]) -> None:
        self.rows = {name: PagingList(name, tuple(found)) for name, found in emails.items()}

    async def get(self, department: str) -> PagingList:
        return self.rows.get(department, PagingList(department))

    async def put(self, paging: PagingList) -> PagingList:
        self.rows[paging.department] = paging
        return paging


class InlineRenderer:
    """Renders in this process: the domain's own limits, without the worker's time limit."""

    async def render(self, template: Template, context: dict[str, Any]) -> RenderedEmail:
        return templates.render(template, context)

    async def check(self, template: Template) -> None:
        catalog.check(template)


class FakeTemplates:
    def __init__(self) -> None:
        self.rows: dict[str, Template] = {}

    async def get(self, event_type: str) -> Template:
        if event_type in self.rows:
            return self.rows[event_type]
        if event_type in DEFAULT_TEMPLATES:
            return DEFAULT_TEMPLATES[event_type]
        raise UnknownTemplate(event_type)

    async def list_all(self) -> list[Template]:
        return [self.rows.get(name, t) for name, t in DEFAULT_TEMPLATES.items()]

    async def put(self, template: Template) -> Template:
        self.rows[template.event_type] = replace(template, updated_at=START)
        return self.rows[template.event_type]

    async def seed(self, templates: Sequence[Template]) -> None:
        for template in templates:
            self.rows.setdefault(template.event_type, template)


class FakeDeliveries:
    """Same guards as the Mongo repository, on copies so callers never share state with it."""

    def __init__(self) -> None:
        self.rows: dict[str, Delivery] = {}
        self.outboxes: dict[str, list[dict]] = {}
        self.attempts: dict[str, datetime] = {}  # election documents: `<id>#<n>` -> began_at
        self.on_get = None  # hook: lets a test change a row between two reads
        self.on_elected = None  # hook: runs between the election and the delivery update

    async def add(self, delivery: Delivery) -> bool:
        if delivery.id in self.rows:
            return False
        self.rows[delivery.id] = copy.deepcopy(delivery)
        return True

    async def get(self, delivery_id: str) -> Delivery | None:
        if self.on_get is not None:
            self.on_get(self.rows)
        row = self.rows.get(delivery_id)
        return copy.deepcopy(row) if row else None

    async def claim(
        self, delivery: Delivery, expected_attempts: int, *, stale_before: datetime
    ) -> bool:
        if not self._elect(delivery, stale_before):
            return False
        if self.on_elected is not None:
            self.on_elected(delivery)  # e.g. raise: the process died after the election
        row = self.rows[delivery.id]
        if row.attempts != expected_attempts or row.status is DeliveryStatus.sent:
            return False
        self.rows[delivery.id] = copy.deepcopy(delivery)
        return True

    def _elect(self, delivery: Delivery, stale_before: datetime) -> bool:
        while (began_at := self.attempts.get(f"{delivery.id}#{delivery.attempts}")) is not None:
            if began_at > stale_before:
                return False
            delivery.skip_abandoned_attempt()
        self.attempts[f"{delivery.id}#{delivery.attempts}"] = delivery.updated_at
        return True

    async def save_unsent(self, delivery: Delivery) -> None:
        row = self.rows[delivery.id]
        if row.attempts == delivery.attempts and row.status is DeliveryStatus.pending:
            self.rows[delivery.id] = copy.deepcopy(delivery)

    async def save_sent(self, delivery: Delivery, envelopes: Sequence[Envelope]) -> list[dict]:
        if self.rows[delivery.id].status is DeliveryStatus.sent:
            return []
        _, entries = outbox.push_outbox(envelopes)
        self.rows[delivery.id] = copy.deepcopy(delivery)
        self.outboxes.setdefault(delivery.id, []).extend(entries)
        return entries

    async def find(
        self,
        *,
        ids: Sequence[str] | None,
        status: DeliveryStatus | None,
        limit: int,
        scope: Scope = Scope(everything=True),  # noqa: B008
    ) -> list[Delivery]:
        rows = self.rows.values() if ids is None else [self.rows[i] for i in ids if i in self.rows]
        if ids is None:
            rows = [d for d in rows if scope.allows(d.departments, d.created_by)]
        return [d for d in rows if status is None or d.status is status][:limit]


class FakeMailServer:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.failures: list[str | Exception] = []  # errors to raise, one per coming send

    async def send(self, email: OutgoingEmail) -> str:
        if self.failures:
            failure = self.failures.pop(0)
            raise failure if isinstance(failure, Exception) else EmailNotSent(failure)
        self.sent.append(email)
        return f"250 OK queued as {len(self.sent)}"


class FakeOutboxPublisher:
    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def __call__(self, doc_id: str, entries: list[dict]) -> None:
        self.published += [Envelope.model_validate_json(e["body"]) for e in entries]


def fake_deps() -> NotifyDeps:
    clock = FakeClock()
    return NotifyDeps(
        tickets=FakeTickets(),
        templates=FakeTemplates(),
        deliveries=FakeDeliveries(),
        sender=FakeMailServer(),
        renderer=InlineRenderer(),
        publish_outbox=FakeOutboxPublisher(),
        mail_domain="ticketflow.local",
        send_lease=timedelta(seconds=30),
        clock=clock,
        sleep=clock.sleep,
    )


def created(
    ticket_id: str = "TF-1",
    email: str | None = "jane@example.com",
    name: str | None = "Jane Doe",
) -> Envelope:
    return _wrap(
        ticket_created(
            ticket_id,
            email=email,
            name=name,
            subject="Invoice charged twice",
            body="I was charged twice.",
            priority=Priority.high,
            created_at=START,
        )
    )


def assigned(ticket_id: str = "TF-1") -> Envelope:
    return _wrap(
        TicketAssignedV1(
            ticket_id=ticket_id,
            agent_id="ana",
            agent_name="Ana Lopez",
            department="billing",
            skill="billing",
            skill_level=9,
            assigned_at=START,
        )
    )


def resolved(ticket_id: str = "TF-1", resolution: str | None = "Refunded.") -> Envelope:
    return _wrap(TicketResolvedV1(ticket_id=ticket_id, resolution=resolution, resolved_at=START))


def message(
    ticket_id: str = "TF-1",
    body: str = "We refunded the second charge.",
    *,
    message_id: str = "M-0123456789abcdef01234567",
    visibility: Visibility = Visibility.public,
    author_kind: AuthorKind = AuthorKind.agent,
) -> Envelope:
    return _wrap(
        TicketMessageAddedV1(
            ticket_id=ticket_id,
            message_id=message_id,
            author="user:ana" if author_kind is AuthorKind.agent else "key:crm",
            author_kind=author_kind,
            author_name="Ana Lopez" if author_kind is AuthorKind.agent else None,
            visibility=visibility,
            body=body,
            department="billing",
            agent_id="ana",
            added_at=START,
        )
    )


def status_changed(
    ticket_id: str = "TF-1",
    status: TicketStatus = TicketStatus.pending,
    previous: TicketStatus = TicketStatus.open,
) -> Envelope:
    return _wrap(
        TicketStatusChangedV1(
            ticket_id=ticket_id,
            status=status,
            previous=previous,
            actor="user:ana",
            agent_id="ana",
            department="billing",
            changed_at=START,
        )
    )


def _wrap(payload: Payload) -> Envelope:
    return Envelope.wrap(payload, source="/test", subject=payload.ticket_id)
