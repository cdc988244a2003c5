"""The audit trail: every state-changing request, who made it, on what, and how it ended.

Append-only: entries are inserted and never updated or deleted by any code path, and no
route changes them. The entry is written once the answer's status is known and before the
answer is sent, so a client that saw a success knows it is on record. Neither query strings
nor bodies are recorded (they may carry customer data); the target is the route's path
parameters plus what the handler names (e.g. the id of what it created).
"""

import logging
import re
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketflow_shared.access.guard import Admin
from ticketflow_shared.access.principal import Principal
from ticketflow_shared.time_params import UtcTime

log = logging.getLogger(__name__)
AUDIT = "audit"
INDEXES = [IndexModel([("at", DESCENDING)]), IndexModel([("actor", 1), ("at", DESCENDING)])]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a sane token, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if REQUEST_ID.match(text):
                return text
    return uuid4().hex


def name_target(request: Request, **ids: str) -> None:
    """Let a handler add to the audited target, e.g. the id of the ticket it created."""
    target = getattr(request.state, "audit_target", None)
    if target is not None:
        target.update(ids)


class AuditTrail:
    def __init__(self, collection: AsyncCollection, service: str, now) -> None:
        self.collection = collection
        self.service = service
        self.now = now

    async def record(self, entry: dict[str, Any]) -> None:
        await self.collection.insert_one({"_id": uuid4().hex, "service": self.service, **entry})

    async def find(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Entries matching every filter given, newest first."""
        filters: dict[str, Any] = {}
        if actor:
            filters["actor"] = actor
        if action:
            filters["action"] = action
        if target:
            filters["target_ids"] = target
        if outcome is not None:
            filters["outcome"] = outcome
        if since or until:
            filters["at"] = {
                **({"$gte": since} if since else {}),
                **({"$lt": until} if until else {}),
            }
        cursor = self.collection.find(filters).sort("at", DESCENDING).limit(limit)
        return [doc async for doc in cursor]


class Auditing:
    """ASGI middleware: a request id on every answer, an audit entry for every write."""

    def __init__(self, app: ASGIApp, trail: AuditTrail) -> None:
        self.app = app
        self.trail = trail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        audited = scope["method"] in WRITE_METHODS and "principal" in state
        if audited:
            state["audit_target"] = {}

        async def send_with_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
                if audited:
                    await self._record(scope, state, message["status"])
            await send(message)

        await self.app(scope, receive, send_with_record)

    async def _record(self, scope: Scope, state: dict, status: int) -> None:
        principal: Principal = state["principal"]
        route = scope.get("route")
        path = getattr(route, "path", None) or scope["path"]
        target = {
            **{key: str(value) for key, value in scope.get("path_params", {}).items()},
            **state.get("audit_target", {}),
        }
        entry = {
            "at": self.trail.now(),
            "target_ids": sorted(set(target.values())),
            "actor": principal.actor,
            "roles": sorted(principal.roles),
            "action": f"{scope['method']} {path}",
            "target": target,
            "request_id": state["request_id"],
            "outcome": status,
        }
        try:
            await self.trail.record(entry)
        except Exception:
            log.exception("could not record the audit entry for %s", entry["action"])
            raise


class AuditEntry(BaseModel):
    id: str
    service: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    target: dict[str, str]
    request_id: str
    outcome: int


class AuditPage(BaseModel):
    data: list[AuditEntry]
    count: int


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/audit", tags=["operations"])

    @router.get("", summary="The audit trail of this service, newest first (admins)")
    async def list_audit(
        request: Request,
        _: Admin,
        actor: Annotated[str | None, Query(max_length=300)] = None,
        action: Annotated[
            str | None, Query(max_length=300, description="e.g. `POST /tickets`")
        ] = None,
        target: Annotated[str | None, Query(max_length=300, description="Any target id")] = None,
        outcome: Annotated[int | None, Query(ge=100, le=599)] = None,
        since: Annotated[UtcTime | None, Query(description="ISO 8601; UTC if no offset")] = None,
        until: Annotated[UtcTime | None, Query(description="ISO 8601; UTC if no offset")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> AuditPage:
        trail: AuditTrail = request.app.state.audit
        docs = await trail.find(
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            since=since,
            until=until,
            limit=limit,
        )
        entries = [AuditEntry.model_validate({**doc, "id": doc["_id"]}) for doc in docs]
        return AuditPage(data=entries, count=len(entries))

    return router
