"""Who may change an agent (pure): admins anyone; supervisors the agents of their
departments, and only into their departments; an agent their own presence."""

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
