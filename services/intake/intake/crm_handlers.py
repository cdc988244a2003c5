"""A CRM's push: taken once by its `event_id` in the push ledger, then a customer upsert
and, with a ticket, a new ticket carrying the CRM's ids; and the ledger's pruning, a
periodic job on the process's scheduler."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from intake import customer_handlers, handlers
from intake.crm_schemas import CrmEvent
from intake.customer_handlers import Customers
from intake.domain.crm_pushes import CrmPush, earlier_push, push_key
from intake.domain.customer_identities import InvalidIdentity, external_identity
from intake.domain.errors import InvalidFieldValues, MissingFields, UnknownCategory
from intake.domain.idempotency import request_fingerprint
from intake.handlers import Clock, now_ms
from intake.ports import CategoryRepository, CrmPushes, TicketRepository
from intake.triage_step import Triager
from ticketflow_shared.bulk import BULK_LIMIT
from ticketflow_shared.errors import Unprocessable, problem
from ticketflow_shared.events import Channel
from ticketflow_shared.scheduling import Scheduler

if TYPE_CHECKING:
    from intake.duplicate_handlers import DuplicateCheck

CRM_PUSH_PRUNING = "intake.crm-push-pruning"
PRUNE_BATCHES = 200  # per pass, of BULK_LIMIT entries each; what is left goes the next pass
NO_EMAIL = "a ticket needs the customer's email, in this push or on record"
# Where a push carries each part of an identity, for a 422 naming the part that is wrong.
PUSH_PARTS = {
    "system": ("body", "system"),
    "id": ("body", "customer", "external_id"),
    "email": ("body", "customer", "email"),
    "phone": ("body", "customer", "phone"),
}

# Names what a push touched (customer_id=..., ticket_id=...) as soon as it is known.
Noted = Callable[..., None]


class BadCrmRecord(Unprocessable):
    """A phone, address or id in the record that cannot name a customer (or no address for
    a ticket); `loc` names it."""

    def __init__(self, message: str, loc: tuple[str, ...]) -> None:
        super().__init__(message)
        self.loc = loc

    @classmethod
    def of(cls, exc: InvalidIdentity, parts: dict[str, tuple[str, ...]]) -> "BadCrmRecord":
        """The refusal of the identity part `exc` names, where `parts` say it is."""
        return cls(str(exc), parts.get(exc.part, ("body",)))

    def problems(self) -> list[dict]:
        return [problem("value_error", list(self.loc), str(self))]


@dataclass(frozen=True)
class PushTaken:
    """What a push made or found; `new` when it created the customer (an upsert only) or
    opened a ticket (not a replay, not joined to an open one)."""

    customer_id: str
    ticket_id: str | None = None
    replayed: bool = False
    new: bool = False


def _nothing(**_: str) -> None:
    return None


async def take_push(
    event: CrmEvent,
    pushes: CrmPushes,
    customers: Customers,
    tickets: TicketRepository,
    categories: CategoryRepository,
    actor: str,
    *,
    triager: Triager | None = None,
    duplicates: "DuplicateCheck | None" = None,
    clock: Clock = now_ms,
    noted: Noted = _nothing,
) -> PushTaken:
    """Take the push once: a redelivery of a finished one answers what it made (replayed)
    and writes nothing; the same id with another body is CrmEventReused. A push refused or
    failing on the way is released from the ledger, so the CRM may send it again."""
    push = CrmPush(
        push_key(event.system, event.event_id),
        request_fingerprint(event.model_dump(mode="json")),
    )
    earlier = earlier_push(await pushes.take(push, clock()), push, event.event_id)
    if earlier is not None:
        assert earlier.customer_id is not None
        noted(customer_id=earlier.customer_id)
        if earlier.ticket_id:
            noted(ticket_id=earlier.ticket_id)
        return PushTaken(earlier.customer_id, earlier.ticket_id, replayed=True)
    try:
        taken = await _carry_out(
            event, customers, tickets, categories, actor, triager, duplicates, clock, noted
        )
    except Exception:
        await pushes.release(push.key)
        raise
    await pushes.finish(push.key, taken.customer_id, taken.ticket_id)
    return taken


async def _carry_out(
    event: CrmEvent,
    customers: Customers,
    tickets: TicketRepository,
    categories: CategoryRepository,
    actor: str,
    triager: Triager | None,
    duplicates: "DuplicateCheck | None",
    clock: Clock,
    noted: Noted,
) -> PushTaken:
    await refuse_ticket_early(event, customers, categories)
    try:
        profile, created = await customer_handlers.upsert_from_crm(
            customers, event.system, event.customer.external_id, event.record(), clock()
        )
    except InvalidIdentity as exc:
        raise BadCrmRecord.of(exc, PUSH_PARTS) from exc
    noted(customer_id=profile.id)
    if event.ticket is None:
        return PushTaken(profile.id, new=created)
    if profile.email is None:
        raise BadCrmRecord(NO_EMAIL, PUSH_PARTS["email"])
    command = event.to_command(profile, actor)
    with _named_in_the_ticket():
        made = await handlers.create_ticket(
            command, tickets, categories, clock, triager=triager, duplicates=duplicates
        )
    noted(ticket_id=made.ticket.id)
    new = not made.replayed and made.duplicate is None
    return PushTaken(profile.id, made.ticket.id, replayed=made.replayed, new=new)


async def refuse_ticket_early(
    event: CrmEvent, customers: Customers, categories: CategoryRepository
) -> None:
    """What would refuse the push's ticket, checked before its customer is written, so a
    refused push stores nothing: an unknown category, a required field missing or not of
    its kind, no email in the push or on record. (A category left to triage is checked
    once triage has chosen it, as for any ticket.)"""
    if event.ticket is None:
        return
    ticket = event.ticket
    with _named_in_the_ticket():
        await handlers.check_named_category(categories, ticket.category, ticket.fields, Channel.crm)
    if event.customer.email is None:
        try:
            identity = external_identity(event.system, event.customer.external_id)
        except InvalidIdentity as exc:
            raise BadCrmRecord.of(exc, PUSH_PARTS) from exc
        owner = await customers.identities.owner(identity)
        profile = await customers.profiles.get(owner) if owner else None
        if profile is None or profile.email is None:
            raise BadCrmRecord(NO_EMAIL, PUSH_PARTS["email"])


@contextmanager
def _named_in_the_ticket() -> Iterator[None]:
    """A refusal of the ticket's category or fields names them where the push has them."""
    try:
        yield
    except (UnknownCategory, MissingFields, InvalidFieldValues) as exc:
        exc.within = ("ticket",)
        raise


async def forget_old_pushes(pushes: CrmPushes, now: datetime, kept: timedelta) -> int:
    """Forget the pushes taken longer than `kept` ago, a batch at a time; how many went.

    A push finishes (or is released) within its request, so an entry that old is finished,
    or was left by a process that died mid-push. A redelivery after that is taken as a new
    push: its customer record is written again, and its ticket is not made twice (the
    ticket's idempotency key is the push's id).
    """
    before = now - kept
    forgotten = 0
    for _ in range(PRUNE_BATCHES):
        gone = await pushes.forget_taken_before(before, BULK_LIMIT)
        forgotten += gone
        if gone < BULK_LIMIT:
            break
    return forgotten


def schedule_push_pruning(
    scheduler: Scheduler, pushes: CrmPushes, *, kept_days: float, every_seconds: float
) -> None:
    kept = timedelta(days=kept_days)

    async def run() -> None:
        await forget_old_pushes(pushes, scheduler.clock.now(), kept)

    scheduler.every(CRM_PUSH_PRUNING, every_seconds, run, first_in=min(60.0, every_seconds))
