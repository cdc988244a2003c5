"""SLA clocks follow the ticket's events; their due timers fire warnings and breaches."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from routing.adapters.sla import SlaStore
from routing.domain.sla import SlaClock, select_policy
from routing.domain.sla_ticket import TicketSla
from ticketflow_shared.clock import SYSTEM_CLOCK, Clock
from ticketflow_shared.events import (
    Envelope,
    Position,
    TicketCreatedV1,
    TicketMessageAddedV1,
    TicketStatusChangedV1,
    TicketUpdatedV1,
)
from ticketflow_shared.outbox import recorded_events
from ticketflow_shared.timers import DueTimers, Timer, stored_time

SOURCE = "/ticketflow/routing"
SAVE_ATTEMPTS = 5
KINDS = ("warn", "breach")


BreachHook = Callable[[TicketSla], Awaitable[None]]
"""What a claimed breach does besides its events (the policy's actions in routing)."""
TimingsHook = Callable[[TicketSla], Awaitable[None]]
"""What else follows a change of the ticket's due times (its place in routing's queue)."""


@dataclass
class SlaDeps:
    store: SlaStore
    timers: DueTimers | None = None
    clock: Clock = SYSTEM_CLOCK
    on_breach: BreachHook | None = None
    on_timings: TimingsHook | None = None


async def ticket_created(event: TicketCreatedV1, deps: SlaDeps, position: Position | None) -> None:
    """Start the clocks of the policy that covers the ticket. A repeat changes nothing: the
    document is inserted at version 0, which the store refuses once it exists."""
    policies = await deps.store.policies_in_force()
    policy = select_policy(
        policies, event.priority, event.category, event.department, event.customer_tier
    )
    if policy is None:
        return
    ticket = TicketSla.open(
        event.ticket_id, policy, event.priority, event.created_at, event.department
    )
    applied: dict[str, int] = {}
    if position is not None:
        position.advance(applied)
    if await deps.store.save(ticket, 0, applied):
        await arm(ticket, {}, deps)


async def message_added(
    event: TicketMessageAddedV1, deps: SlaDeps, position: Position | None
) -> None:
    def change(ticket: TicketSla) -> None:
        # A copy from a merged ticket answered nobody here: the clocks stay as they are.
        if event.joined != "merge":
            ticket.message(event.author_kind, event.visibility, event.added_at)

    await _apply(event.ticket_id, position, deps, change)


async def status_changed(
    event: TicketStatusChangedV1, deps: SlaDeps, position: Position | None
) -> None:
    await _apply(
        event.ticket_id, position, deps, lambda t: t.change_status(event.status, event.changed_at)
    )


async def updated(event: TicketUpdatedV1, deps: SlaDeps, position: Position | None) -> None:
    def change(ticket: TicketSla) -> None:
        if ticket.priority is not event.priority:
            ticket.change_priority(event.priority, event.updated_at)

    await _apply(event.ticket_id, position, deps, change)


async def _apply(
    ticket_id: str,
    position: Position | None,
    deps: SlaDeps,
    change: Callable[[TicketSla], None],
) -> None:
    """Apply `change` once, in sequence order; a ticket no policy covers has no document."""
    for _ in range(SAVE_ATTEMPTS):
        found = await deps.store.get(ticket_id)
        if found is None:
            return
        ticket, version, applied = found
        if position is not None and not position.is_newer_than(applied.get(position.producer)):
            return
        before = _timings(ticket)
        change(ticket)
        if position is not None:
            position.advance(applied)
        if await deps.store.save(ticket, version, applied):
            await arm(ticket, before, deps)
            return
    raise RuntimeError(f"SLA of {ticket_id} kept changing under {SAVE_ATTEMPTS} attempts")


def _timings(ticket: TicketSla) -> dict[str, tuple[datetime | None, datetime | None]]:
    return {key: (c.warn_due_at, c.due_at) for key, c in ticket.clocks.items()}


def _due(clock: SlaClock, kind: str) -> datetime | None:
    if kind == "warn":
        return None if clock.warned else clock.warn_due_at
    return None if clock.breached else clock.due_at


async def arm(ticket: TicketSla, before: dict, deps: SlaDeps) -> None:
    """Schedule or cancel the timers of the clocks whose due times changed."""
    if deps.on_timings is not None and before != _timings(ticket):
        await deps.on_timings(ticket)
    if deps.timers is None:
        return
    for key, clock in ticket.clocks.items():
        if before.get(key) == (clock.warn_due_at, clock.due_at):
            continue
        for kind in KINDS:
            due, name = _due(clock, kind), f"{key}:{kind}"
            if due is None:
                await deps.timers.cancel(name)
            else:
                data = {"ticket": ticket.ticket_id, "clock": key, "kind": kind}
                await deps.timers.schedule(name, due, data)


async def check(timer: Timer, deps: SlaDeps) -> list[Envelope] | None:
    """The warning or breach a timer owes, if its clock still runs to that due time."""
    found = await deps.store.get(timer.data["ticket"])
    ticket = found[0] if found else None
    clock = ticket.clocks.get(timer.data["clock"]) if ticket else None
    if ticket is None or clock is None:
        return None
    due = _due(clock, timer.data["kind"])
    if due is None or stored_time(due) != timer.due:
        return None
    at = max(deps.clock.now(), due)
    owed = clock.warn(at) if timer.data["kind"] == "warn" else ticket.breach(clock, at)
    if not owed:
        return None
    return recorded_events(clock.events, source=SOURCE, subject=clock.ticket_id)


async def claimed(timer: Timer, deps: SlaDeps) -> None:
    field = "warned" if timer.data["kind"] == "warn" else "breached"
    await deps.store.mark(timer.data["ticket"], timer.data["clock"], field)
    if field == "breached" and deps.on_breach is not None:
        found = await deps.store.get(timer.data["ticket"])
        if found:
            await deps.on_breach(found[0])
