"""API keys for systems (CRM, OA, a department's tools): format, hashing, and the in-memory
copy every process checks requests against (pure).

A key reads `tfk_<key id>_<secret>`. Only SHA-256 of `<key id>.<secret>` is stored: the secret
is 256 random bits, so a slow password hash would add nothing but latency.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ticketflow_shared.access.principal import Principal, Role, roles_from
from ticketflow_shared.events import ApiKeyIssuedV1, ApiKeyRevokedV1

PREFIX = "tfk_"
_KEY = re.compile(r"^tfk_(k[0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class InvalidKey(Exception):
    """An API key that opens nothing: malformed, unknown, revoked or expired."""


def new_key_id() -> str:
    return f"k{secrets.token_hex(8)}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def key_text(key_id: str, secret: str) -> str:
    return f"{PREFIX}{key_id}_{secret}"


def hash_secret(key_id: str, secret: str) -> str:
    return hashlib.sha256(f"{key_id}.{secret}".encode()).hexdigest()


def looks_like_key(text: str) -> bool:
    return text.startswith(PREFIX)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    secret_hash: str
    roles: frozenset[Role]
    departments: frozenset[str]
    issued_by: str
    issued_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def principal(self) -> Principal:
        return Principal(
            id=self.key_id,
            kind="key",
            roles=self.roles,
            departments=self.departments,
            name=self.name,
        )

    def issued_event(self) -> ApiKeyIssuedV1:
        return ApiKeyIssuedV1(
            key_id=self.key_id,
            name=self.name,
            secret_hash=self.secret_hash,
            roles=sorted(self.roles),
            departments=sorted(self.departments),
            expires_at=self.expires_at,
            issued_by=self.issued_by,
            issued_at=self.issued_at,
        )

    def revoke(self, by: str, at: datetime) -> tuple["ApiKey", ApiKeyRevokedV1]:
        revoked = replace(self, revoked_at=at, revoked_by=by)
        return revoked, ApiKeyRevokedV1(key_id=self.key_id, revoked_by=by, revoked_at=at)

    @classmethod
    def from_event(cls, event: ApiKeyIssuedV1) -> "ApiKey":
        return cls(
            key_id=event.key_id,
            name=event.name,
            secret_hash=event.secret_hash,
            roles=roles_from(event.roles),
            departments=frozenset(event.departments),
            issued_by=event.issued_by,
            issued_at=event.issued_at,
            expires_at=event.expires_at,
        )


def issue(
    *,
    name: str,
    roles: Iterable[Role],
    departments: Iterable[str],
    issued_by: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its full text, which is shown once and never stored."""
    key_id, secret = new_key_id(), new_secret()
    key = ApiKey(
        key_id=key_id,
        name=name,
        secret_hash=hash_secret(key_id, secret),
        roles=frozenset(roles),
        departments=frozenset(departments),
        issued_by=issued_by,
        issued_at=now,
        expires_at=expires_at,
    )
    return key, key_text(key_id, secret)


class KeyRing:
    """This process's copy of every key, refreshed from the service's store and from the key
    events it consumes."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._keys = {key.key_id: key for key in keys}

    def __len__(self) -> int:
        return len(self._keys)

    def replace(self, keys: Iterable[ApiKey]) -> None:
        self._keys = {key.key_id: key for key in keys}

    def put(self, key: ApiKey) -> None:
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)

    def verify(self, presented: str, now: datetime) -> Principal:
        match = _KEY.match(presented)
        if match is None:
            raise InvalidKey("malformed API key")
        key_id, secret = match.groups()
        key = self._keys.get(key_id)
        if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(key_id, secret)):
            raise InvalidKey("unknown API key")
        if key.revoked_at is not None:
            raise InvalidKey("revoked API key")
        if not key.usable(now):
            raise InvalidKey("expired API key")
        return key.principal()
