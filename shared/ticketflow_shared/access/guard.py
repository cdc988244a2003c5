"""Authentication for every route but the open ones, before any work is done, and the role
checks routes declare.

`Authentication` is ASGI middleware: it reads `Authorization: Bearer <JWT or API key>` or
`X-API-Key`, verifies it, spends one request of the caller's rate budget and leaves the
Principal in the request state. Because it runs before routing, a route added later is
protected without declaring anything; `allow(...)` then says which roles may use it.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketflow_shared.access.keys import InvalidKey, KeyRing, looks_like_key
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.access.ratelimit import RateLimiter, retry_after
from ticketflow_shared.access.tokens import InvalidToken, TokenVerifier
from ticketflow_shared.asgi import send_detail

log = logging.getLogger(__name__)
REALM = 'Bearer realm="ticketflow"'
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/docs/assets/",)
MAX_CREDENTIAL_LENGTH = 8192
SESSION_COOKIE = "ticketflow_session"
SAFE_METHODS = frozenset({"GET", "HEAD"})


class AccessControl:
    """What a process checks credentials against: its key ring, the token verifier (None
    when people's tokens are not configured) and the per-credential rate limiter."""

    def __init__(
        self,
        keys: KeyRing,
        tokens: TokenVerifier | None,
        limiter: RateLimiter,
        now: Callable[[], datetime],
        open_paths: Iterable[str] = (),
        pages: Iterable[str] = (),
        login_path: str | None = None,
    ) -> None:
        self.keys = keys
        self.tokens = tokens
        self.limiter = limiter
        self.now = now
        self.open_paths = OPEN_PATHS | frozenset(open_paths)
        # Browser pages: a session cookie may stand in for the header (on reads only, so a
        # forged cross-site request can change nothing), and a visitor without credentials
        # is sent to the login page rather than shown a 401.
        self.pages = frozenset(pages)
        self.login_path = login_path

    def is_open(self, path: str) -> bool:
        return path in self.open_paths or path.startswith(OPEN_PREFIXES)

    def unslashed(self, path: str) -> str | None:
        """The open path that `path` names with trailing slashes added, else None."""
        trimmed = path.rstrip("/")
        return trimmed if trimmed != path and self.is_open(trimmed) else None

    async def identify(self, credential: str) -> Principal:
        if looks_like_key(credential):
            return self.keys.verify(credential, self.now())
        if self.tokens is None:
            raise InvalidToken("bearer tokens are not configured here; use an API key")
        return await self.tokens.verify(credential)


def session_cookie(headers: dict[bytes, bytes]) -> str | None:
    raw = headers.get(b"cookie")
    if raw is None:
        return None
    cookies = SimpleCookie()
    try:
        cookies.load(raw.decode("latin-1"))
    except CookieError:
        return None
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def presented_credential(headers: dict[bytes, bytes]) -> str | None:
    api_key = headers.get(b"x-api-key")
    if api_key is not None:
        return api_key.decode("latin-1").strip()
    authorization = headers.get(b"authorization")
    if authorization is None:
        return None
    scheme, _, value = authorization.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


class Authentication:
    def __init__(self, app: ASGIApp, access: AccessControl) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.access.is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        # Sent on before any credential is asked for: an open path is open with a slash, too.
        unslashed = self.access.unslashed(scope["path"])
        if unslashed is not None:
            await _redirect(send, _with_query(unslashed, scope), status=307)
            return
        headers = dict(scope["headers"])
        credential = presented_credential(headers)
        page = scope["path"] in self.access.pages and scope["method"] in SAFE_METHODS
        if credential is None and page:
            credential = session_cookie(headers)
            if credential is None and self.access.login_path:
                await _redirect(send, self.access.login_path)
                return
        if not credential:
            detail = "credentials required" if credential is None else "use a Bearer token"
            await send_detail(send, 401, detail, {"www-authenticate": REALM})
            return
        try:
            if len(credential) > MAX_CREDENTIAL_LENGTH:
                raise InvalidToken("credential too long")
            principal = await self.access.identify(credential)
        except (InvalidToken, InvalidKey) as exc:
            log.info("refused credentials on %s %s: %s", scope["method"], scope["path"], exc)
            challenge = f'{REALM}, error="invalid_token", error_description="{_quoted(exc)}"'
            await send_detail(
                send, 401, f"invalid credentials: {exc}", {"www-authenticate": challenge}
            )
            return
        wait = self.access.limiter.take(principal.actor)
        if wait > 0:
            await send_detail(
                send,
                429,
                "rate limit exceeded for this credential",
                {"retry-after": retry_after(wait)},
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _quoted(exc: Exception) -> str:
    return str(exc).replace('"', "'").replace("\\", "/")[:200]


def _with_query(path: str, scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


async def _redirect(send: Send, location: str, status: int = 303) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


_bearer = HTTPBearer(auto_error=False, description="A person's JWT, or an API key (tfk_…)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A system's API key")


async def caller(
    request: Request,
    _bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    _key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    """The authenticated caller. The two security parameters only document the schemes in
    OpenAPI; the middleware has already checked whichever was sent."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(401, "credentials required", headers={"WWW-Authenticate": REALM})
    return principal


Caller = Annotated[Principal, Depends(caller)]


def allow(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting callers holding one of `roles`; 403 for anyone else."""
    names = ", ".join(sorted(roles))

    def admitted(principal: Caller) -> Principal:
        if not principal.has(*roles):
            raise HTTPException(403, f"this needs one of the roles: {names}")
        return principal

    return admitted


ADMINS = (Role.admin,)
OPERATORS = (Role.admin, Role.monitoring)
TICKET_READERS = (Role.admin, Role.supervisor, Role.agent, Role.viewer, Role.integration)
TICKET_WORKERS = (Role.admin, Role.supervisor, Role.agent)
TICKET_CREATORS = (Role.admin, Role.supervisor, Role.agent, Role.integration)
STAFF = (Role.admin, Role.supervisor, Role.agent, Role.viewer)

Admin = Annotated[Principal, Depends(allow(*ADMINS))]
TicketReader = Annotated[Principal, Depends(allow(*TICKET_READERS))]
TicketWorker = Annotated[Principal, Depends(allow(*TICKET_WORKERS))]
TicketCreator = Annotated[Principal, Depends(allow(*TICKET_CREATORS))]
Staff = Annotated[Principal, Depends(allow(*STAFF))]
