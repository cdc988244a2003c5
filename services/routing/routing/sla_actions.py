"""What a breached SLA target does to the ticket in routing, as its policy says: a higher
priority moves it up the queue, `move_up` puts it first within its priority, `reassign`
takes it from its agent and routes it again.

Runs once per breach: after the breach's firing was claimed (the insert only one process wins).
"""

from collections.abc import Collection
from dataclasses import replace

from routing import assigning
from routing.domain.sla import BreachAction
from routing.ports import Stores
from ticketflow_shared.events import Priority


async def apply_breach(
    ticket_id: str, actions: Collection[BreachAction], priority: Priority, stores: Stores
) -> None:
    """`priority` is the ticket's priority once the breach raised it (or as it was)."""
    if BreachAction.raise_priority in actions:
        await stores.queue.reprioritize(ticket_id, priority)
        await stores.tickets.reprioritize(ticket_id, priority, None)
    if BreachAction.move_up in actions:
        await stores.queue.move_up(ticket_id)
    if BreachAction.reassign in actions:
        await _reassign(ticket_id, stores)


async def _reassign(ticket_id: str, stores: Stores) -> None:
    """Route a held ticket again, not to the agent who let it breach (while others can)."""
    ticket = await stores.tickets.get(ticket_id)
    if ticket is None or await stores.resolutions.get(ticket_id) is not None:
        return
    released = await assigning.release(ticket_id, stores)
    if released is None:
        return  # waiting in the queue: the raised priority is what moves it
    again = replace(ticket, released_by=released.agent_id)
    await assigning.route(again, stores, own_department=True)
    await assigning.drain(released.agent_id, stores)
