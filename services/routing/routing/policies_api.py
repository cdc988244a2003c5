"""HTTP API of queue policies: staff read them, admins and the department's supervisors write."""

from fastapi import APIRouter, Response, status

from routing import policies_handlers as handlers
from routing.api import CategoryPath, DepartmentPath, StoresDep
from routing.domain import category_key
from routing.policies_schemas import PolicyList, PolicyPut, PolicyRead
from ticketflow_shared.access.guard import Staff

router = APIRouter(tags=["queue policies"])


@router.get("/queue-policies")
async def list_policies(stores: StoresDep, _: Staff) -> PolicyList:
    found = await handlers.repository(stores).all()
    return PolicyList(data=[PolicyRead.of(p) for p in found], count=len(found))


@router.get("/queue-policies/{department}")
async def get_department_policy(
    department: DepartmentPath, stores: StoresDep, _: Staff
) -> PolicyRead:
    return PolicyRead.of(await handlers.get_policy(department, None, stores))


@router.get("/queue-policies/{department}/{category}")
async def get_category_policy(
    department: DepartmentPath, category: CategoryPath, stores: StoresDep, _: Staff
) -> PolicyRead:
    return PolicyRead.of(await handlers.get_policy(department, category, stores))


@router.put("/queue-policies/{department}", summary="Set a department's queue policy")
async def put_department_policy(
    department: DepartmentPath, body: PolicyPut, stores: StoresDep, caller: Staff
) -> PolicyRead:
    policy = body.policy(department, None)
    return PolicyRead.of(await handlers.put_policy(policy, caller, stores))


@router.put(
    "/queue-policies/{department}/{category}", summary="Set a category's policy in a department"
)
async def put_category_policy(
    department: DepartmentPath,
    category: CategoryPath,
    body: PolicyPut,
    stores: StoresDep,
    caller: Staff,
) -> PolicyRead:
    policy = body.policy(department, category_key(category))
    return PolicyRead.of(await handlers.put_policy(policy, caller, stores))


@router.delete("/queue-policies/{department}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_department_policy(
    department: DepartmentPath, stores: StoresDep, caller: Staff
) -> Response:
    await handlers.delete_policy(department, None, caller, stores)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/queue-policies/{department}/{category}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_category_policy(
    department: DepartmentPath, category: CategoryPath, stores: StoresDep, caller: Staff
) -> Response:
    await handlers.delete_policy(department, category, caller, stores)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
