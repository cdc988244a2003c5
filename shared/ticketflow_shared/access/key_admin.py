"""Issuing and revoking API keys over HTTP (admins, on the issuing service). The key's full
text is in the answer to its creation only; afterwards only its id and what it may do."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ticketflow_shared.access import keys
from ticketflow_shared.access.audit import UtcTime, name_target
from ticketflow_shared.access.guard import Admin
from ticketflow_shared.access.principal import Role
from ticketflow_shared.outbox import recorded_events

Department = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
]


def _distinct(values: list) -> list:
    return sorted(set(values))


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ]
    roles: Annotated[list[Role], Field(min_length=1, max_length=6), AfterValidator(_distinct)]
    departments: Annotated[list[Department], Field(max_length=100), AfterValidator(_distinct)] = []
    expires_at: UtcTime | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_id: str
    name: str
    roles: Annotated[list[Role], BeforeValidator(sorted)]
    departments: Annotated[list[str], BeforeValidator(sorted)]
    issued_by: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The key itself. Shown this once; only a hash is kept.")


class ApiKeyList(BaseModel):
    data: list[ApiKeyRead]
    count: int


def api_key_router(source: str) -> APIRouter:
    """Routes for the service that issues keys; `source` names it on the key events."""
    router = APIRouter(prefix="/api-keys", tags=["access"])

    @router.post("", status_code=201, summary="Issue an API key (admins)")
    async def issue_key(body: ApiKeyCreate, request: Request, admin: Admin) -> ApiKeyIssued:
        access = request.app.state.access
        runtime = request.app.state.runtime
        now = runtime.clock.now()
        if body.expires_at is not None and body.expires_at <= now:
            problem = {
                "type": "value_error",
                "loc": ["body", "expires_at"],
                "msg": "expires_at must be in the future",
            }
            raise HTTPException(422, [problem])
        key, text = keys.issue(
            name=body.name,
            roles=body.roles,
            departments=body.departments,
            issued_by=admin.actor,
            now=now,
            expires_at=body.expires_at,
        )
        envelopes = recorded_events([key.issued_event()], source=source, subject=key.key_id)
        envelopes = [envelope.in_sequence(1) for envelope in envelopes]
        entries = await access.keys.add_issued(key, envelopes, now)
        access.ring.put(key)
        name_target(request, key_id=key.key_id)
        await runtime.publish_outbox(access.keys.collection, key.key_id, entries)
        return ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), key=text)

    @router.get("", summary="Every API key, without secrets (admins)")
    async def list_keys(request: Request, _: Admin) -> ApiKeyList:
        found = sorted(await request.app.state.access.keys.all(), key=lambda k: k.issued_at)
        return ApiKeyList(data=[ApiKeyRead.model_validate(key) for key in found], count=len(found))

    @router.get("/{key_id}", summary="One API key, without its secret (admins)")
    async def get_key(key_id: str, request: Request, _: Admin) -> ApiKeyRead:
        key = await request.app.state.access.keys.get(key_id)
        if key is None:
            raise HTTPException(404, f"no API key {key_id!r}")
        return ApiKeyRead.model_validate(key)

    @router.delete("/{key_id}", summary="Revoke an API key on every service (admins)")
    async def revoke_key(key_id: str, request: Request, admin: Admin) -> ApiKeyRead:
        access = request.app.state.access
        runtime = request.app.state.runtime
        key = await access.keys.get(key_id)
        if key is None:
            raise HTTPException(404, f"no API key {key_id!r}")
        if key.revoked_at is not None:
            return ApiKeyRead.model_validate(key)
        now = runtime.clock.now()
        revoked, event = key.revoke(admin.actor, now)
        envelopes = recorded_events([event], source=source, subject=key.key_id)
        envelopes = [envelope.in_sequence(2) for envelope in envelopes]
        entries = await access.keys.mark_revoked(revoked, envelopes, now)
        access.ring.put(revoked)
        if entries:
            await runtime.publish_outbox(access.keys.collection, key.key_id, entries)
        return ApiKeyRead.model_validate((await access.keys.get(key_id)) or revoked)

    return router
