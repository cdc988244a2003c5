"""Escalation steps in routing: due timers set when a ticket is queued, fired once each by an
insert-claim, and escalations from other services raising a queued ticket's priority.

A fired step changes what the ticket needs from the time it is due (the policy's `needs`
applies every due step); firing it records the step, raises the priority or announces the
overflow and the page it asks for, and looks for an agent again at once instead of at the
next sweep.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from routing import assigning
from routing.adapters.escalations import MongoEscalations
from routing.adapters.sla import SlaStore
from routing.domain import RoutingTicket
from routing.domain.escalation import SERVICE, StepFired, fire, higher, sla_due, timers_for
from routing.domain.policies import QueuePolicy
from routing.domain.sla_ticket import TicketSla
from routing.lifecycle import TicketNotKnownYet
from routing.ports import Stores
from ticketflow_shared.events import Priority, TicketEscalatedV1
from ticketflow_shared.outbox import recorded_events
from ticketflow_shared.timers import DueTimers, Timer

SOURCE = "/ticketflow/routing"


@dataclass
class Escalations:
    stores: Stores
    fired: MongoEscalations
    timers: DueTimers | None = None
    sla: SlaStore | None = None  # for the SLA due time a ticket entering the queue has


async def entered(
    ticket: RoutingTicket, queued_at: datetime, deps: Escalations, *, new: bool = False
) -> None:
    """A ticket entered the queue: its place by SLA due time, its steps' timers.

    `new`: queued while its ticket.created is handled, before the SLA clocks that event
    starts, which then set its place themselves (`timings_changed`): nothing to read yet.
    """
    if not new and deps.sla is not None and (found := await deps.sla.get(ticket.ticket_id)):
        await deps.stores.queue.set_sla_due(ticket.ticket_id, sla_due(found[0]))
    await schedule(ticket, queued_at, deps)


async def timings_changed(ticket: TicketSla, stores: Stores) -> None:
    """The ticket's SLA due times moved: so does its place in the queue, if it waits there."""
    await stores.queue.set_sla_due(ticket.ticket_id, sla_due(ticket))


async def _policy(ticket: RoutingTicket, stores: Stores) -> QueuePolicy | None:
    if stores.policies is None:
        return None
    return await stores.policies.for_ticket(ticket.department, ticket.category)


async def schedule(ticket: RoutingTicket, queued_at: datetime, deps: Escalations) -> None:
    """Set a due timer for each step of the ticket's policy, from when it was queued."""
    policy = await _policy(ticket, deps.stores)
    if policy is None or deps.timers is None:
        return
    for timer in timers_for(ticket.ticket_id, policy, queued_at):
        await deps.timers.schedule(timer.key, timer.due, timer.data)


async def settle(ticket: RoutingTicket, queued_at: datetime, deps: Escalations) -> None:
    """A ticket left the queue: record the steps that were due but had not fired yet (the
    sweep may assign it under a due step before that step's timer fires), drop the rest."""
    policy = await _policy(ticket, deps.stores)
    if policy is None or deps.timers is None:
        return
    now = deps.stores.now()
    for timer in timers_for(ticket.ticket_id, policy, queued_at):
        if timer.due <= now and (fired := fire(ticket, policy, queued_at, timer.data, now)):
            await _claim(fired, deps)
        await deps.timers.cancel(timer.key)


async def _claim(fired: StepFired, deps: Escalations) -> bool:
    events = recorded_events(fired.events, source=SOURCE, subject=fired.ticket_id)
    return await deps.fired.claim(fired, events, deps.stores.now())


async def check(timer: Timer, deps: Escalations) -> None:
    """Fire the step if the ticket still waits for it; always None for the timers, whose own
    claim is not used: the step's record in `escalation_steps` is the claim."""
    stores = deps.stores
    entry = await stores.queue.get(timer.data.get("ticket", ""))
    if entry is None:
        return None
    policy = await _policy(entry.ticket, stores)
    if policy is None:
        return None
    fired = fire(entry.ticket, policy, entry.queued_at, timer.data, stores.now())
    if fired is not None and await _claim(fired, deps):
        await _apply(entry.ticket, fired, stores)
    return None


async def _apply(ticket: RoutingTicket, fired: StepFired, stores: Stores) -> None:
    """A claimed step: the raised priority in the queue, then assignment with relaxed needs."""
    if fired.raised_to is not None:
        await raise_priority(ticket.ticket_id, fired.raised_to, stores)
        ticket = replace(ticket, priority=fired.raised_to)
    await assigning.assign(ticket, stores, own_department=True)


async def raise_priority(ticket_id: str, priority: Priority, stores: Stores) -> None:
    await stores.queue.reprioritize(ticket_id, priority)
    await stores.tickets.reprioritize(ticket_id, priority, None)


async def escalated(event: TicketEscalatedV1, stores: Stores) -> None:
    """Another service escalated the ticket: a more urgent priority moves it up the queue and
    it is looked at again. Routing's own escalations are applied already; repeats change
    nothing, as the priority is never lowered."""
    if event.source == SERVICE or event.priority is None:
        return
    ticket = await stores.tickets.get(event.ticket_id)
    if ticket is None:
        raise TicketNotKnownYet(event.ticket_id)
    raised = higher(ticket.priority, event.priority)
    if raised is None:
        return
    await raise_priority(ticket.ticket_id, raised, stores)
    if await stores.queue.get(ticket.ticket_id) is not None:
        await assigning.assign(replace(ticket, priority=raised), stores, own_department=True)
