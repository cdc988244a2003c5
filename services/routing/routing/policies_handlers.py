"""Writing and reading queue policies; who may write which."""

from routing.domain import category_key
from routing.domain.policies import PolicyError, QueuePolicy
from routing.ports import PolicyRepository, Stores
from ticketflow_shared import errors
from ticketflow_shared.access.principal import Principal, Role


class PolicyNotFound(errors.NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no queue policy for {key}")


class PolicyInvalid(errors.Unprocessable):
    def problems(self) -> list[dict]:
        return [errors.problem("value_error", ["body"], str(self))]


def check_write(caller: Principal, department: str) -> None:
    """Admins write any policy; supervisors those of their departments."""
    if caller.has(Role.admin):
        return
    if caller.has(Role.supervisor) and caller.scope().allows_department(department):
        return
    raise errors.NotAllowed("only an admin or a supervisor of the department may change it")


def policy_key(department: str, category: str | None) -> str:
    return department if category is None else f"{department}/{category_key(category)}"


def repository(stores: Stores) -> PolicyRepository:
    assert stores.policies is not None, "queue policies need their store"
    return stores.policies


async def put_policy(policy: QueuePolicy, caller: Principal, stores: Stores) -> QueuePolicy:
    check_write(caller, policy.department)
    try:
        policy.check()
    except PolicyError as error:
        raise PolicyInvalid(str(error)) from None
    return await repository(stores).put(policy, stores.now())


async def get_policy(department: str, category: str | None, stores: Stores) -> QueuePolicy:
    key = policy_key(department, category)
    found = await repository(stores).get(key)
    if found is None:
        raise PolicyNotFound(key)
    return found


async def delete_policy(
    department: str, category: str | None, caller: Principal, stores: Stores
) -> None:
    check_write(caller, department)
    key = policy_key(department, category)
    if not await repository(stores).delete(key, stores.now()):
        raise PolicyNotFound(key)
