"""People moving tickets by hand: an agent takes a queued ticket or puts one back, a
supervisor gives one to another agent. All of it goes through the same claims as automatic
routing, so capacity stays true and a ticket is never held twice."""

from dataclasses import replace

from routing import assigning, permissions, views
from routing.assigning import Outcome
from routing.domain import Agent, RoutingTicket, TicketState, TicketStatus, why_cannot_take
from routing.ports import Stores
from ticketflow_shared.access.principal import Principal
from ticketflow_shared.errors import Conflict


class CannotTake(Conflict):
    """The ticket cannot go to that agent now; the message says why."""


def _not_workable(state: TicketState) -> CannotTake:
    held = f" by {state.agent_id}" if state.agent_id else ""
    return CannotTake(f"ticket {state.ticket.ticket_id} is {state.status.value}{held}")


async def _agent(agent_id: str, stores: Stores) -> Agent:
    try:
        return await views.agent(agent_id, stores)
    except views.AgentNotFound:
        raise CannotTake(f"{agent_id} is not an agent routing knows") from None


async def _waiting(ticket_id: str, stores: Stores) -> RoutingTicket | None:
    """The ticket as it waits in the queue (its requirement may have changed since)."""
    entry = await stores.queue.get(ticket_id)
    return entry.ticket if entry else None


async def _give(agent: Agent, ticket: RoutingTicket, stores: Stores) -> None:
    if reason := why_cannot_take(agent, ticket):
        raise CannotTake(reason)
    outcome = await assigning.claim(agent, ticket, stores, offer=False)  # chosen by hand
    if outcome is Outcome.taken:
        raise CannotTake(f"ticket {ticket.ticket_id} was taken or settled meanwhile")
    if outcome is Outcome.no_agent:
        raise CannotTake(f"agent {agent.agent_id} has no free slot any more")


async def take(ticket_id: str, caller: Principal, stores: Stores) -> TicketState:
    """The calling agent takes a queued ticket of their department."""
    state = await views.visible_ticket(ticket_id, stores, caller.scope())
    ticket = await _waiting(ticket_id, stores)
    if ticket is None:
        raise _not_workable(state)
    await _give(await _agent(caller.id, stores), ticket, stores)
    return await views.ticket(ticket_id, stores)


async def release(ticket_id: str, caller: Principal, stores: Stores) -> TicketState:
    """Put a held ticket back in its department's queue, freeing its agent's slot."""
    state = await views.visible_ticket(ticket_id, stores, caller.scope())
    if state.status is not TicketStatus.open or state.agent_id is None:
        raise _not_workable(state)
    permissions.check_release(caller, state.agent_id, state.ticket.department)
    released = await assigning.release(ticket_id, stores)
    if released is not None:
        ticket = replace(state.ticket, released_by=released.agent_id)
        await assigning.announce_queued(ticket_id, await assigning.enqueue(ticket, stores), stores)
        await assigning.drain(released.agent_id, stores)
    return await views.ticket(ticket_id, stores)


async def reassign(ticket_id: str, agent_id: str, caller: Principal, stores: Stores) -> TicketState:
    """Give a ticket, queued or held, to another agent of its department with room."""
    state = await views.visible_ticket(ticket_id, stores, caller.scope())
    permissions.check_reassign(caller, state.ticket.department)
    if state.status not in (TicketStatus.new, TicketStatus.queued, TicketStatus.open):
        raise _not_workable(state)
    if state.agent_id == agent_id:
        raise CannotTake(f"agent {agent_id} holds ticket {ticket_id} already")
    agent = await _agent(agent_id, stores)
    ticket = await _waiting(ticket_id, stores) or state.ticket
    if reason := why_cannot_take(agent, ticket):
        raise CannotTake(reason)
    released = await assigning.release(ticket_id, stores) if state.agent_id else None
    try:
        await _give(agent, ticket, stores)
    except CannotTake:
        if released is not None:  # lost a race after freeing it: it must not be left unheld
            await assigning.route(ticket, stores, own_department=True)
        raise
    finally:
        if released is not None:
            await assigning.drain(released.agent_id, stores)
    return await views.ticket(ticket_id, stores)
