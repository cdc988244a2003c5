"""Who may change an agent (pure): admins anyone; supervisors the agents of their
departments, and only into their departments; an agent their own presence. Who may put a
ticket back in the queue or give it to another agent."""

from collections.abc import Set

from ticketflow_shared import errors
from ticketflow_shared.access.principal import Principal, Role

SELF_SERVICE = frozenset({"presence"})


class NotAllowed(errors.NotAllowed):
    pass


def check_revision(
    caller: Principal,
    agent_id: str,
    department: str,
    changes: Set[str],
    new_department: str | None,
) -> None:
    """Raise NotAllowed unless `caller` may make `changes` (field names) to the agent."""
    if caller.has(Role.admin):
        return
    scope = caller.scope()
    if caller.has(Role.supervisor) and scope.allows_department(department):
        if new_department is None or scope.allows_department(new_department):
            return
        raise NotAllowed("a supervisor can only move agents into their own departments")
    if caller.has(Role.agent) and caller.id == agent_id and changes <= SELF_SERVICE:
        return
    raise NotAllowed("you may not change this agent")


def check_release(caller: Principal, holder_id: str, department: str | None) -> None:
    """The agent holding a ticket may put it back; so may its department's supervisors."""
    if caller.id == holder_id or _supervises(caller, department):
        return
    raise NotAllowed("only the agent holding it or a supervisor of its department may")


def check_reassign(caller: Principal, department: str | None) -> None:
    if not _supervises(caller, department):
        raise NotAllowed("only a supervisor of its department or an admin may reassign it")


def _supervises(caller: Principal, department: str | None) -> bool:
    if caller.has(Role.admin):
        return True
    return caller.has(Role.supervisor) and caller.scope().allows_department(department)
