"""HTTP API: agents, routing rules, departments' settings, the queue, routing's view of a
ticket, and taking, releasing and reassigning tickets by hand."""

from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    Path,
    Query,
    Request,
    Response,
    status,
)

from routing import desk, handlers, permissions, views
from routing.ports import Stores
from routing.schemas import (
    AGENT_ID_PATTERN,
    AgentCreate,
    AgentList,
    AgentPut,
    AgentRead,
    AgentUpdate,
    AssignBody,
    DepartmentList,
    DepartmentRead,
    DepartmentUpdate,
    QueuedTicketRead,
    QueueRead,
    RuleList,
    RuleRead,
    RuleUpdate,
    SkillQuery,
    TicketRead,
)
from ticketflow_shared.access.guard import Admin, Staff, TicketReader, TicketWorker
from ticketflow_shared.events import Presence


def get_stores(request: Request) -> Stores:
    return request.app.state.stores


StoresDep = Annotated[Stores, Depends(get_stores)]
AgentIdPath = Annotated[str, Path(pattern=AGENT_ID_PATTERN)]
CategoryPath = Annotated[str, Path(min_length=1, max_length=100)]
DepartmentPath = Annotated[str, Path(min_length=1, max_length=100)]

router = APIRouter()


@router.post("/agents", status_code=status.HTTP_201_CREATED, tags=["agents"])
async def create_agent(body: AgentCreate, stores: StoresDep, _: Admin) -> AgentRead:
    agent_id = await handlers.register_agent(body.command(), stores)
    return AgentRead.of(await views.agent(agent_id, stores))


@router.get("/agents", tags=["agents"])
async def list_agents(
    stores: StoresDep, caller: Staff, presence: Presence | None = None, skill: SkillQuery = None
) -> AgentList:
    agents = await views.agents(stores, presence, skill, caller.scope())
    return AgentList(data=[AgentRead.of(agent) for agent in agents], count=len(agents))


@router.get("/agents/{agent_id}", tags=["agents"])
async def get_agent(agent_id: str, stores: StoresDep, caller: Staff) -> AgentRead:
    return AgentRead.of(await views.visible_agent(agent_id, stores, caller.id, caller.scope()))


@router.patch(
    "/agents/{agent_id}",
    tags=["agents"],
    summary="Change an agent (admins; supervisors their departments'; agents their presence)",
)
async def update_agent(
    agent_id: str, body: AgentUpdate, stores: StoresDep, caller: Staff
) -> AgentRead:
    agent = await views.visible_agent(agent_id, stores, caller.id, caller.scope())
    permissions.check_revision(
        caller, agent.agent_id, agent.department, body.model_fields_set, body.department
    )
    await handlers.revise_agent(body.command(agent_id), stores)
    return AgentRead.of(await views.agent(agent_id, stores))


@router.put("/agents/{agent_id}", tags=["agents"], responses={201: {"model": AgentRead}})
async def put_agent(
    agent_id: AgentIdPath, body: AgentPut, stores: StoresDep, response: Response, _: Admin
) -> AgentRead:
    if await handlers.put_agent(agent_id, body.command(), stores):
        response.status_code = status.HTTP_201_CREATED
    return AgentRead.of(await views.agent(agent_id, stores))


@router.get("/routing/rules", tags=["rules"])
async def list_rules(stores: StoresDep, _: Staff) -> RuleList:
    rules = await views.rules(stores)
    return RuleList(data=[RuleRead.of(rule) for rule in rules], count=len(rules))


@router.get("/routing/rules/{category}", tags=["rules"])
async def get_rule(category: CategoryPath, stores: StoresDep, _: Staff) -> RuleRead:
    return RuleRead.of(await views.rule(category, stores))


@router.put("/routing/rules/{category}", tags=["rules"])
async def put_rule(
    category: CategoryPath, body: RuleUpdate, stores: StoresDep, _: Admin
) -> RuleRead:
    return RuleRead.of(await handlers.set_rule(body.command(category), stores))


@router.get("/departments", tags=["departments"])
async def list_departments(stores: StoresDep, _: Staff) -> DepartmentList:
    found = await views.departments(stores)
    return DepartmentList(data=[DepartmentRead.of(d) for d in found], count=len(found))


@router.get("/departments/{name}", tags=["departments"])
async def get_department(name: DepartmentPath, stores: StoresDep, _: Staff) -> DepartmentRead:
    return DepartmentRead.of(await views.department(name, stores))


@router.put("/departments/{name}", tags=["departments"])
async def put_department(
    name: DepartmentPath, body: DepartmentUpdate, stores: StoresDep, _: Admin
) -> DepartmentRead:
    return DepartmentRead.of(await handlers.set_department(body.settings(name), stores))


@router.get("/queue", tags=["queue"])
async def get_queue(
    stores: StoresDep,
    caller: Staff,
    skill: SkillQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> QueueRead:
    entries, waiting = await views.queue(stores, limit, skill, caller.scope())
    return QueueRead(data=[QueuedTicketRead.of(entry) for entry in entries], count=waiting)


@router.get("/tickets/{ticket_id}", tags=["tickets"])
async def get_ticket(ticket_id: str, stores: StoresDep, caller: TicketReader) -> TicketRead:
    return TicketRead.of(await views.visible_ticket(ticket_id, stores, caller.scope()))


@router.post(
    "/tickets/{ticket_id}/take",
    tags=["tickets"],
    summary="Take a queued ticket of your department (409 says why not)",
)
async def take_ticket(ticket_id: str, stores: StoresDep, caller: TicketWorker) -> TicketRead:
    return TicketRead.of(await desk.take(ticket_id, caller, stores))


@router.post(
    "/tickets/{ticket_id}/release",
    tags=["tickets"],
    summary="Put a held ticket back in the queue (its agent, or a supervisor of its department)",
)
async def release_ticket(ticket_id: str, stores: StoresDep, caller: TicketWorker) -> TicketRead:
    return TicketRead.of(await desk.release(ticket_id, caller, stores))


@router.post(
    "/tickets/{ticket_id}/assign",
    tags=["tickets"],
    summary="Give a ticket to an agent of its department with room (supervisors, admins)",
)
async def assign_ticket(
    ticket_id: str, body: AssignBody, stores: StoresDep, caller: TicketWorker
) -> TicketRead:
    return TicketRead.of(await desk.reassign(ticket_id, body.agent_id, caller, stores))
