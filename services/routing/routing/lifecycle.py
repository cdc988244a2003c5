"""Intake's lifecycle as routing follows it: statuses that free or want a slot, transfers to
another department, priority changes.

Each event is applied only if it is newer than the last one applied to the ticket from its
producer (`sequence`, kept on routing's record of the ticket), so a late or repeated event
never rewinds routing's view. An event's position is recorded only once its work is done:
a redelivery after a crash does that work again, and every step is safe to repeat.
"""

from dataclasses import replace

from routing import assigning, views
from routing.assigning import Outcome
from routing.domain import (
    Resolution,
    SlotChange,
    TicketRecord,
    slot_change,
    transfer_requirement,
)
from routing.ports import Stores
from ticketflow_shared.events import (
    Position,
    TicketStatus,
    TicketStatusChangedV1,
    TicketTransferredV1,
    TicketUpdatedV1,
)

INTAKE = "intake"


class TicketNotKnownYet(LookupError):
    """An event about a ticket routing has not seen created; the bus retries it later."""


async def applicable(
    ticket_id: str, position: Position | None, stores: Stores
) -> TicketRecord | None:
    """Routing's record of the ticket if an event at `position` is to be applied to it."""
    record = await stores.tickets.record(ticket_id, position.producer if position else INTAKE)
    if record is None:
        raise TicketNotKnownYet(ticket_id)
    if position is not None and not position.is_newer_than(record.applied):
        return None
    return record


async def status_changed(
    event: TicketStatusChangedV1, stores: Stores, position: Position | None = None
) -> None:
    """Free the slot on solved, closed and the department's releasing statuses; take one
    again when the ticket is open after routing freed it (a reopen included)."""
    record = await applicable(event.ticket_id, position, stores)
    if record is None:
        return
    settings = None
    if event.status in (TicketStatus.pending, TicketStatus.on_hold):
        department = event.department or record.ticket.department
        settings = await views.department(department, stores, in_force=True) if department else None
    parked = await stores.resolutions.get(event.ticket_id)
    change = slot_change(event.status, settings, parked=parked is not None, routed=record.routed)
    if change is SlotChange.release:
        resolution = Resolution(event.ticket_id, event.agent_id, event.changed_at, event.status)
        await park(resolution, parked, stores, position)
        return
    if change is SlotChange.reclaim:
        last_agent = (parked.agent_id if parked else None) or event.agent_id
        await reclaim(record, last_agent, stores, position)
        return
    await stores.tickets.advance(event.ticket_id, position)


async def park(
    resolution: Resolution, parked: Resolution | None, stores: Stores, position: Position | None
) -> None:
    """Take the ticket from its agent and out of the queue until it wants one again.

    `parked` is how routing released it already, if it did: solved and then closed, or the
    second of ticket.resolved and the status change to solved, finds it released and free
    and only notes the new status.
    """
    ticket_id = resolution.ticket_id
    holder = await stores.assignments.of_ticket(ticket_id)
    if holder is None and parked is not None:
        if parked.status is not resolution.status:
            await stores.resolutions.restate(ticket_id, resolution.status)
        await stores.tickets.advance(ticket_id, position)
        return
    if holder is not None:
        resolution = replace(resolution, agent_id=holder.agent_id)
    if not await stores.resolutions.record(resolution, [], stores.now()):
        await stores.resolutions.restate(ticket_id, resolution.status)
    await stores.queue.remove(ticket_id)
    # Look for a holder again only now: a claim racing with this either sees the resolution
    # and is released by its claimer, or it landed before this look and is released here.
    # Whoever frees an announced claim publishes the agent's new load from the claim, so it
    # goes out once however often this runs; if it cannot go out yet, the sweep releases the
    # claim later.
    released = await assigning.release(ticket_id, stores)
    await stores.tickets.mark_routed(ticket_id, position)
    if released is not None:
        await assigning.drain(released.agent_id, stores, agent=released.agent)
    elif resolution.agent_id:
        await assigning.drain(resolution.agent_id, stores)


async def reclaim(
    record: TicketRecord, last_agent: str | None, stores: Stores, position: Position | None
) -> None:
    """The ticket wants an agent again: its last one if they can take it now, else the best
    free agent of its department, else its department's queue."""
    ticket = record.ticket
    # Unrouted first: should this stop half-way, the sweep routes the ticket.
    await stores.tickets.revise(ticket)
    await stores.resolutions.remove(ticket.ticket_id)
    agent = await stores.agents.get(last_agent) if last_agent else None
    if agent is not None and agent.serves(ticket.department):
        [agent] = await assigning.with_loads([agent], stores)
        if await assigning.claim(agent, ticket, stores) is not Outcome.no_agent:
            await stores.tickets.mark_routed(ticket.ticket_id, position)
            return
    await assigning.route(ticket, stores, own_department=True, position=position)


async def transferred(
    event: TicketTransferredV1, stores: Stores, position: Position | None = None
) -> None:
    """Free the previous agent's slot and route the ticket within its new department."""
    record = await applicable(event.ticket_id, position, stores)
    if record is None:
        return
    rule = await views.rule(event.category, stores, in_force=True)
    ticket = replace(
        record.ticket,
        department=event.to_department,
        requirement=transfer_requirement(rule, event.skill),
        priority=event.priority,
        department_only=True,
    )
    await stores.queue.remove(ticket.ticket_id)  # waiting in the old department's queue
    released = await assigning.release(ticket.ticket_id, stores)
    await stores.tickets.revise(ticket)
    if await stores.resolutions.get(ticket.ticket_id) is None:
        await assigning.route(ticket, stores, position=position)
    else:  # released by routing: routed in its new department once it wants an agent again
        await stores.tickets.mark_routed(ticket.ticket_id, position)
    if released is not None:
        await assigning.drain(released.agent_id, stores)


async def updated(event: TicketUpdatedV1, stores: Stores, position: Position | None = None) -> None:
    """A new priority moves a queued ticket in service order."""
    record = await applicable(event.ticket_id, position, stores)
    if record is None:
        return
    if event.priority is record.ticket.priority:
        await stores.tickets.advance(event.ticket_id, position)
        return
    await stores.queue.reprioritize(event.ticket_id, event.priority)
    await stores.tickets.reprioritize(event.ticket_id, event.priority, position)
