"""Read side: what the API shows, put together from the stores."""

from dataclasses import replace

from routing.assigning import with_loads
from routing.domain import (
    Agent,
    DepartmentSettings,
    QueueEntry,
    RoutingRule,
    TicketState,
    TicketStatus,
    category_key,
)
from routing.ports import Stores
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.errors import NotFound
from ticketflow_shared.events import Presence

EVERYTHING = Scope(everything=True)


class AgentNotFound(NotFound):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"unknown agent: {agent_id}")


class TicketNotFound(NotFound):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"unknown ticket: {ticket_id}")


async def agent(agent_id: str, stores: Stores) -> Agent:
    found = await stores.agents.get(agent_id)
    if found is None:
        raise AgentNotFound(agent_id)
    return (await with_loads([found], stores))[0]


async def agents(
    stores: Stores,
    presence: Presence | None = None,
    skill: str | None = None,
    scope: Scope = EVERYTHING,
) -> list[Agent]:
    found = await stores.agents.search(presence, skill)
    visible = [agent for agent in found if scope.allows_department(agent.department)]
    return await with_loads(visible, stores)


async def rule(category: str, stores: Stores, *, in_force: bool = False) -> RoutingRule:
    """The stored rule for `category`, or the default: the category's own name as skill.
    `in_force`: from the copy tickets are routed by (see `RuleRepository.in_force`)."""
    key = category_key(category)
    found = await (stores.rules.in_force(key) if in_force else stores.rules.get(key))
    return found or RoutingRule.default(key)


async def rules(stores: Stores) -> list[RoutingRule]:
    return await stores.rules.all()


async def department(name: str, stores: Stores, *, in_force: bool = False) -> DepartmentSettings:
    """The department's stored settings, or the default: waiting tickets keep their slot.
    `in_force`: as for `rule`."""
    departments = stores.departments
    found = await (departments.in_force(name) if in_force else departments.get(name))
    return found or DepartmentSettings.default(name)


async def departments(stores: Stores) -> list[DepartmentSettings]:
    return await stores.departments.all()


async def queue(
    stores: Stores, limit: int, skill: str | None = None, scope: Scope = EVERYTHING
) -> tuple[list[QueueEntry], int]:
    """The first `limit` queued tickets in service order that `scope` sees, and how many of
    those wait in all. An integration's view of the queue is its own tickets only."""
    if scope.everything:
        return await stores.queue.waiting(limit, skill), await stores.queue.size(skill)
    departments = scope.departments
    entries = await stores.queue.waiting(limit, skill, departments=departments)
    return entries, await stores.queue.size(skill, departments=departments)


async def ticket(ticket_id: str, stores: Stores) -> TicketState:
    """A ticket's routing state, read from the records that decide it, not from a cached status."""
    found = await stores.tickets.get(ticket_id)
    if found is None:
        raise TicketNotFound(ticket_id)
    state = TicketState(
        ticket=found,
        status=TicketStatus.new,
        required_skill=found.requirement.skill,
        min_level=found.requirement.min_level,
    )
    if resolution := await stores.resolutions.get(ticket_id):
        finished = resolution.status in (TicketStatus.solved, TicketStatus.closed)
        return replace(
            state,
            status=resolution.status,
            agent_id=resolution.agent_id,
            resolved_at=resolution.resolved_at if finished else None,
        )
    if held := await stores.assignments.of_ticket(ticket_id):
        return replace(
            state,
            status=TicketStatus.open,
            agent_id=held.agent_id,
            required_skill=held.skill,
            assigned_at=held.assigned_at,
        )
    if entry := await stores.queue.get(ticket_id):
        return replace(
            state,
            status=TicketStatus.queued,
            required_skill=entry.ticket.requirement.skill,
            min_level=entry.ticket.requirement.min_level,
            queued_at=entry.queued_at,
        )
    return state


async def visible_agent(agent_id: str, stores: Stores, caller_id: str, scope: Scope) -> Agent:
    """The agent if `scope` sees their department (or it is the caller); else as unknown."""
    found = await agent(agent_id, stores)
    if found.agent_id != caller_id and not scope.allows_department(found.department):
        raise AgentNotFound(agent_id)
    return found


async def sees_ticket(stores: Stores, ticket_id: str, scope: Scope) -> bool:
    try:
        await visible_ticket(ticket_id, stores, scope)
    except TicketNotFound:
        return False
    return True


async def visible_ticket(ticket_id: str, stores: Stores, scope: Scope) -> TicketState:
    """The ticket's state if `scope` sees it (its department's, or its agent's); another
    department's ticket is as unknown as a missing one."""
    state = await ticket(ticket_id, stores)
    departments = {state.ticket.department}
    if state.agent_id and (holder := await stores.agents.get(state.agent_id)):
        departments.add(holder.department)
    if not scope.allows(departments, state.ticket.created_by):
        raise TicketNotFound(ticket_id)
    return state
