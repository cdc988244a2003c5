"""Credentials the tests present: HS256 tokens signed with the test namespace's secret."""

from fastapi import FastAPI

from ticketflow_shared.access.guard import caller
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.access.tokens import mint_local_token

TEST_JWT_SECRET = "test-secret-for-ticketflow-tests-only-32b"


def token(*roles: str, departments: tuple[str, ...] = (), subject: str = "tester") -> str:
    return mint_local_token(
        TEST_JWT_SECRET, subject=subject, roles=roles or ("admin",), departments=departments
    )


def headers(*roles: str, departments: tuple[str, ...] = (), subject: str = "tester") -> dict:
    return {"Authorization": f"Bearer {token(*roles, departments=departments, subject=subject)}"}


def admin_headers() -> dict[str, str]:
    return headers("admin", subject="test-admin")


ADMIN = Principal(id="test-admin", kind="user", roles=frozenset({Role.admin}))


def act_as(app: FastAPI, principal: Principal = ADMIN) -> None:
    """Have a bare app (no authentication middleware) see every request as `principal`."""
    app.dependency_overrides[caller] = lambda: principal
