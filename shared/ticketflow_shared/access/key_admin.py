"""Issuing and revoking API keys over HTTP (admins, on the issuing service). The key's full
text is in the answer to its creation only; afterwards only its id and what it may do."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import Admin
from ticketflow_shared.access.key_handlers import ExpiryInPast, KeyIssuer, UnknownKey
from ticketflow_shared.access.principal import Role
from ticketflow_shared.time_params import UtcTime

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

    def issuer(request: Request) -> KeyIssuer:
        access, runtime = request.app.state.access, request.app.state.runtime
        return KeyIssuer(
            access.keys, access.ring, runtime.clock.now, runtime.publish_outbox, source
        )

    Issuer = Annotated[KeyIssuer, Depends(issuer)]

    @router.post("", status_code=201, summary="Issue an API key (admins)")
    async def issue_key(
        body: ApiKeyCreate, request: Request, admin: Admin, issuing: Issuer
    ) -> ApiKeyIssued:
        try:
            key, text = await issuing.issue(
                name=body.name,
                roles=body.roles,
                departments=body.departments,
                expires_at=body.expires_at,
                by=admin.actor,
            )
        except ExpiryInPast:
            problem = {"type": "value_error", "loc": ["body", "expires_at"]}
            raise HTTPException(422, [{**problem, "msg": "must be in the future"}]) from None
        name_target(request, key_id=key.key_id)
        return ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), key=text)

    @router.get("", summary="Every API key, without secrets (admins)")
    async def list_keys(_: Admin, issuing: Issuer) -> ApiKeyList:
        found = sorted(await issuing.store.all(), key=lambda k: k.issued_at)
        return ApiKeyList(data=[ApiKeyRead.model_validate(key) for key in found], count=len(found))

    @router.get("/{key_id}", summary="One API key, without its secret (admins)")
    async def get_key(key_id: str, _: Admin, issuing: Issuer) -> ApiKeyRead:
        key = await issuing.store.get(key_id)
        if key is None:
            raise HTTPException(404, "no such API key")
        return ApiKeyRead.model_validate(key)

    @router.delete("/{key_id}", summary="Revoke an API key on every service (admins)")
    async def revoke_key(key_id: str, admin: Admin, issuing: Issuer) -> ApiKeyRead:
        try:
            return ApiKeyRead.model_validate(await issuing.revoke(key_id, admin.actor))
        except UnknownKey:
            raise HTTPException(404, "no such API key") from None

    return router
