"""HTTP API: each department's paging addresses (admins, and that department's supervisors)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from notify.domain.paging import PagingList
from notify.handlers import NotifyDeps
from notify.paging import PagingRepository
from notify.paging_schemas import PagingRead, PagingUpdate
from ticketflow_shared.access.guard import allow
from ticketflow_shared.access.principal import Principal, Role


def get_paging(request: Request) -> PagingRepository:
    return request.app.state.paging


def get_deps(request: Request) -> NotifyDeps:
    return request.app.state.notify


Paging = Annotated[PagingRepository, Depends(get_paging)]
Deps = Annotated[NotifyDeps, Depends(get_deps)]
PagingKeeper = Annotated[Principal, Depends(allow(Role.admin, Role.supervisor))]
DepartmentPath = Annotated[str, Path(min_length=1, max_length=100)]

router = APIRouter(prefix="/departments", tags=["paging"])


def _check_scope(caller: Principal, department: str) -> None:
    if not caller.scope().allows_department(department):
        raise HTTPException(404, f"no department {department!r} among yours")


@router.get(
    "/{name}/paging", summary="Who is paged for the department's escalations and SLA breaches"
)
async def get_paging_list(name: DepartmentPath, paging: Paging, caller: PagingKeeper) -> PagingRead:
    _check_scope(caller, name)
    return PagingRead.of(await paging.get(name))


@router.put("/{name}/paging", summary="Replace the department's paging addresses")
async def put_paging_list(
    name: DepartmentPath, update: PagingUpdate, paging: Paging, deps: Deps, caller: PagingKeeper
) -> PagingRead:
    _check_scope(caller, name)
    stored = await paging.put(
        PagingList(
            department=name,
            emails=tuple(update.emails),
            updated_at=deps.clock(),
            updated_by=caller.actor,
        )
    )
    return PagingRead.of(stored)
