"""The caller of a request, their roles, and which tickets they may see (pure)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

ALL_DEPARTMENTS = "*"


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"
    viewer = "viewer"
    integration = "integration"
    monitoring = "monitoring"


def roles_from(values: Iterable[object]) -> frozenset[Role]:
    """The known roles among `values`; unknown names are ignored, not errors (an identity
    provider's token may carry roles meant for other applications)."""
    known = {role.value for role in Role}
    return frozenset(Role(str(value)) for value in values if str(value) in known)


@dataclass(frozen=True)
class Scope:
    """Which tickets a caller may see: every ticket, those of some departments, and/or those
    the caller created."""

    everything: bool = False
    departments: frozenset[str] = frozenset()
    creator: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.departments and self.creator is None

    def allows(self, departments: Iterable[str | None], created_by: str | None = None) -> bool:
        if self.everything:
            return True
        if self.creator is not None and created_by == self.creator:
            return True
        return any(department in self.departments for department in departments)

    def allows_department(self, department: str | None) -> bool:
        return self.everything or department in self.departments


@dataclass(frozen=True)
class Principal:
    """A person (JWT) or a system (API key). `id` is the token subject, which is also a
    person's agent id, or the key id."""

    id: str
    kind: Literal["user", "key"]
    roles: frozenset[Role]
    departments: frozenset[str] = frozenset()
    name: str | None = None
    credential: str = field(default="", compare=False)

    @property
    def actor(self) -> str:
        """How the audit log and the rate limiter name this caller: `user:<sub>`, `key:<id>`."""
        return f"{self.kind}:{self.id}"

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def all_departments(self) -> bool:
        return ALL_DEPARTMENTS in self.departments

    def scope(self) -> Scope:
        """Admins see everything; supervisors, agents and viewers their departments (all of
        them with `*`); an integration what it created."""
        if self.has(Role.admin) or (
            self.all_departments and self.has(Role.supervisor, Role.agent, Role.viewer)
        ):
            return Scope(everything=True)
        departments = (
            self.departments - {ALL_DEPARTMENTS}
            if self.has(Role.supervisor, Role.agent, Role.viewer)
            else frozenset()
        )
        creator = self.actor if self.has(Role.integration) else None
        return Scope(departments=departments, creator=creator)


def scope_filter(
    scope: Scope, *, departments: str = "departments", creator: str = "created_by"
) -> dict[str, object]:
    """A store filter for the documents `scope` may see: `departments` names the field that
    lists a document's departments, `creator` the one naming who created it."""
    if scope.everything:
        return {}
    clauses: list[dict[str, object]] = [{departments: {"$in": sorted(scope.departments)}}]
    if scope.creator is not None:
        clauses.append({creator: scope.creator})
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}
