"""People's bearer tokens: JWTs from the organisation's identity provider, checked with PyJWT.

Signature, `exp`, `nbf`, issuer and audience are always checked. Keys come either from a JWKS
URL (RS256/ES256 and the like; fetched with httpx, cached, fetched again when a token names a
key id the cache does not hold, at most once per `refresh_interval`) or from a shared secret
(HS256, for local use). Which claims hold the subject, roles and departments is configuration;
a dotted name reaches into nested claims (`realm_access.roles`).
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from ticketflow_shared.access.principal import Principal, roles_from

log = logging.getLogger(__name__)
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")


class InvalidToken(Exception):
    """A bearer token that proves nothing: bad signature, expired, wrong issuer, ..."""


@dataclass(frozen=True)
class ClaimNames:
    subject: str = "sub"
    roles: str = "roles"
    departments: str = "departments"
    name: str = "name"


class JwksCache:
    """The identity provider's signing keys by key id, from its JWKS document."""

    def __init__(
        self,
        url: str,
        *,
        lifespan: float = 300.0,
        refresh_interval: float = 10.0,
        timeout: float = 3.0,
    ) -> None:
        self.url = url
        self.lifespan = lifespan
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        if now - self._fetched_at > self.lifespan:
            await self._refresh(now)
        found = self._find(kid)
        if found is None and time.monotonic() - self._fetched_at > self.refresh_interval:
            await self._refresh(time.monotonic())
            found = self._find(kid)
        if found is None:
            raise InvalidToken(f"no signing key {kid!r} in the identity provider's key set")
        return found

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, requested_at: float) -> None:
        async with self._lock:
            if self._fetched_at >= requested_at:
                return
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                key_set = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning("could not fetch the signing keys from %s: %s", self.url, exc)
                self._fetched_at = time.monotonic()
                return
            self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
            if not self._keys and key_set.keys:
                self._keys = {"": key_set.keys[0]}
            self._fetched_at = time.monotonic()


class TokenVerifier:
    """Turns a bearer JWT into a Principal, or raises InvalidToken."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        secret: str | None = None,
        jwks: JwksCache | None = None,
        algorithms: Sequence[str] = (),
        claims: ClaimNames = ClaimNames(),
        leeway_seconds: float = 30.0,
    ) -> None:
        if secret is None and jwks is None:
            raise ValueError("a token verifier needs a shared secret or a JWKS URL")
        self.issuer = issuer
        self.audience = audience
        self.secret = secret
        self.jwks = jwks
        defaults = (["HS256"] if secret is not None else []) + (
            list(ASYMMETRIC) if jwks is not None else []
        )
        self.algorithms = list(algorithms) or defaults
        self.claims = claims
        self.leeway = leeway_seconds

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"not a JWT: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        key = await self._key_for(algorithm, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", self.claims.subject]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        return self._principal(claims)

    async def _key_for(self, algorithm: str, kid: object) -> Any:
        if algorithm.startswith("HS"):
            if self.secret is None:
                raise InvalidToken("shared-secret tokens are not accepted here")
            return self.secret
        if self.jwks is None:
            raise InvalidToken("no key set is configured for signed tokens")
        key = await self.jwks.key(kid if isinstance(kid, str) else None)
        return key.key

    def _principal(self, claims: dict[str, Any]) -> Principal:
        subject = claim(claims, self.claims.subject)
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 200:
            raise InvalidToken("the subject claim must be a non-empty string")
        name = claim(claims, self.claims.name)
        return Principal(
            id=subject,
            kind="user",
            roles=roles_from(_strings(claim(claims, self.claims.roles))),
            departments=frozenset(_strings(claim(claims, self.claims.departments))),
            name=name if isinstance(name, str) else None,
        )


def claim(claims: dict[str, Any], dotted: str) -> Any:
    """A claim by name, a dotted name reaching into nested objects."""
    value: Any = claims
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    """A claim that lists names: a JSON array, or one space- or comma-separated string."""
    if isinstance(value, str):
        return [item for item in value.replace(",", " ").split() if item]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str) and item]
    return []


def mint_local_token(
    secret: str,
    *,
    subject: str,
    roles: Sequence[str],
    departments: Sequence[str] = (),
    name: str | None = None,
    issuer: str = "ticketflow-local",
    audience: str = "ticketflow",
    ttl_seconds: int = 12 * 3600,
    now: float | None = None,
) -> str:
    """An HS256 token as a local identity provider would issue it (demo data, tests)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": list(roles),
        "departments": list(departments),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")
