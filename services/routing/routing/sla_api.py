"""HTTP API of SLA policies (admins write, staff read) and of a ticket's SLA clocks."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from routing import views
from routing.api import StoresDep
from routing.sla_handlers import SlaDeps
from routing.sla_schemas import (
    POLICY_NAME_PATTERN,
    SlaClockRead,
    SlaPolicyList,
    SlaPolicyPut,
    SlaPolicyRead,
    TicketSlaRead,
)
from ticketflow_shared.access.guard import Admin, Staff, TicketReader
from ticketflow_shared.errors import NotFound


def get_sla(request: Request) -> SlaDeps:
    return request.app.state.sla


SlaDep = Annotated[SlaDeps, Depends(get_sla)]
PolicyName = Annotated[str, Path(pattern=POLICY_NAME_PATTERN)]

router = APIRouter(tags=["sla"])


class PolicyNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown SLA policy: {name}")


@router.get("/sla/policies")
async def list_policies(sla: SlaDep, _: Staff) -> SlaPolicyList:
    policies = [SlaPolicyRead.of(p) for p in await sla.store.policy_list()]
    return SlaPolicyList(data=policies, count=len(policies))


@router.get("/sla/policies/{name}")
async def get_policy(name: PolicyName, sla: SlaDep, _: Staff) -> SlaPolicyRead:
    policy = await sla.store.policy(name)
    if policy is None:
        raise PolicyNotFound(name)
    return SlaPolicyRead.of(policy)


@router.put("/sla/policies/{name}", summary="Create or change a policy; each change is a version")
async def put_policy(name: PolicyName, body: SlaPolicyPut, sla: SlaDep, _: Admin) -> SlaPolicyRead:
    current = await sla.store.policy(name)
    policy = body.policy(name, (current.version if current else 0) + 1)
    await sla.store.put_policy(policy)
    return SlaPolicyRead.of(policy)


@router.delete("/sla/policies/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_policy(name: PolicyName, sla: SlaDep, _: Admin) -> Response:
    if not await sla.store.delete_policy(name):
        raise PolicyNotFound(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tickets/{ticket_id}/sla", tags=["tickets"])
async def ticket_sla(
    ticket_id: str, stores: StoresDep, sla: SlaDep, caller: TicketReader
) -> TicketSlaRead:
    """Each SLA clock of a ticket the caller may read; tickets keep their policy version."""
    await views.visible_ticket(ticket_id, stores, caller.scope())
    found = await sla.store.get(ticket_id)
    if found is None:
        return TicketSlaRead(ticket_id=ticket_id, policy=None, policy_version=None, clocks=[])
    ticket, now = found[0], sla.clock.now()
    clocks = sorted(ticket.clocks.values(), key=lambda c: (c.target.value, c.cycle))
    return TicketSlaRead(
        ticket_id=ticket_id,
        policy=ticket.policy.name,
        policy_version=ticket.policy.version,
        clocks=[SlaClockRead.of(c, ticket.calendar, now) for c in clocks],
    )
