"""Commands from the API and events from the bus, handled against the stores."""

from typing import Any
from uuid import uuid4

from routing import assigning, lifecycle, views
from routing.assigning import recorded
from routing.domain import (
    Agent,
    DepartmentSettings,
    RegisterAgent,
    Resolution,
    ReviseAgent,
    RoutingRule,
    RoutingTicket,
    SetRule,
    category_key,
)
from routing.ports import Stores
from ticketflow_shared.errors import Conflict, Unprocessable, problem
from ticketflow_shared.events import Position, TicketCreatedV1, TicketResolvedV1, TicketStatus

MAX_EDIT_ATTEMPTS = 5


class AgentExists(Conflict):
    """An agent with that id is already registered."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"agent already exists: {agent_id}")


class AgentEditConflict(Conflict):
    """The agent kept changing under us; the caller may try again."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"agent {agent_id} changed meanwhile; try again")


class AgentIdMismatch(Unprocessable):
    """The command names another agent than the one it is addressed to."""

    def problems(self) -> list[dict[str, Any]]:
        # A body schema cannot see the path, so this names the body's field.
        return [problem("value_error", ["body", "agent_id"], f"must match the path: {self}")]


async def register_agent(command: RegisterAgent, stores: Stores) -> str:
    now = stores.now()
    agent = Agent.register(
        command.agent_id or f"agt_{uuid4().hex[:12]}", **command.profile(), now=now
    )
    if not await stores.agents.add(
        agent, recorded(agent.pull_events(), agent_version=agent.version), now
    ):
        raise AgentExists(agent.agent_id)
    await assigning.drain(agent.agent_id, stores)
    return agent.agent_id


async def revise_agent(command: ReviseAgent, stores: Stores) -> None:
    """Change an agent's profile; when it can take more work now, give it queued tickets."""
    for _ in range(MAX_EDIT_ATTEMPTS):
        agent = await views.agent(command.agent_id, stores)
        version, now = agent.version, stores.now()
        woke = agent.revise(command.changes, now)
        events = agent.pull_events()
        if not events:
            return
        if await stores.agents.save(
            agent, version, recorded(events, agent_version=agent.version), now
        ):
            if woke:
                await assigning.drain(agent.agent_id, stores)
            return
    raise AgentEditConflict(command.agent_id)


async def put_agent(agent_id: str, command: RegisterAgent, stores: Stores) -> bool:
    """Create or replace an agent's profile; True if it was created. Repeating it is a no-op."""
    if command.agent_id not in (None, agent_id):
        raise AgentIdMismatch(f"{command.agent_id!r} is not {agent_id!r}")
    for _ in range(MAX_EDIT_ATTEMPTS):
        if await stores.agents.get(agent_id) is None:
            try:
                await register_agent(command.model_copy(update={"agent_id": agent_id}), stores)
            except AgentExists:
                continue
            return True
        try:
            await revise_agent(ReviseAgent(agent_id=agent_id, changes=command.profile()), stores)
        except views.AgentNotFound:
            continue
        return False
    raise AgentEditConflict(agent_id)


async def set_rule(command: SetRule, stores: Stores) -> RoutingRule:
    """Store a category's rule; tickets of that category still queued follow it from now on."""
    key = category_key(command.category)
    rule = RoutingRule(key, command.skill or RoutingRule.default(key).skill, command.min_level)
    await stores.rules.put(rule, stores.now())
    if await stores.queue.set_requirement(key, rule.requirement):
        # Tickets nobody could take may now suit an agent who is free already.
        for agent in await stores.agents.available_for(rule.requirement):
            await assigning.drain(agent.agent_id, stores)
    return rule


async def set_department(settings: DepartmentSettings, stores: Stores) -> DepartmentSettings:
    """Store a department's settings; they apply to the next status change of its tickets."""
    await stores.departments.put(settings, stores.now())
    return settings


def ticket_language(event: TicketCreatedV1) -> str | None:
    """The ticket's language, else a `language` field's, as a lower-case tag."""
    language = event.language or event.fields.get("language")
    return str(language).strip().lower()[:16] or None if language else None


async def ticket_created(
    event: TicketCreatedV1, stores: Stores, position: Position | None = None
) -> None:
    """Assign the new ticket or queue it. A repeat only finishes what a crash left undone."""
    rule = await views.rule(event.category, stores, in_force=True)
    ticket = RoutingTicket(
        ticket_id=event.ticket_id,
        category=rule.category,
        priority=event.priority,
        created_at=event.created_at,
        requirement=rule.requirement,
        department=event.department,
        created_by=event.created_by,
        language=ticket_language(event),
    )
    unseen = await stores.tickets.add(ticket, stores.now(), position)
    if not unseen:
        if await stores.tickets.is_routed(ticket.ticket_id):
            return
        ticket = await stores.tickets.get(ticket.ticket_id) or ticket
    await assigning.route(ticket, stores, unseen=unseen)


async def ticket_resolved(
    event: TicketResolvedV1, stores: Stores, position: Position | None = None
) -> None:
    """Free the resolving agent's slot and give it the next queued ticket it can take."""
    if await lifecycle.applicable(event.ticket_id, position, stores) is None:
        return
    parked = await stores.resolutions.get(event.ticket_id)
    resolved = Resolution(event.ticket_id, event.agent_id, event.resolved_at, TicketStatus.solved)
    await lifecycle.park(resolved, parked, stores, position)
