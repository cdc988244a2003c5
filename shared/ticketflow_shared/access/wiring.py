"""Access control in one service process: its key ring kept current from its own store and
from the key events on the bus, the token verifier, the rate limiter and the audit trail."""

import logging

from ticketflow_shared.access.audit import AUDIT, AuditTrail
from ticketflow_shared.access.audit import INDEXES as AUDIT_INDEXES
from ticketflow_shared.access.guard import AccessControl
from ticketflow_shared.access.key_store import API_KEYS, KeyStore
from ticketflow_shared.access.keys import KeyRing
from ticketflow_shared.access.ratelimit import RateLimiter
from ticketflow_shared.access.tokens import ClaimNames, JwksCache, TokenVerifier
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import ApiKeyIssuedV1, ApiKeyRevokedV1, Envelope, Payload
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.settings import ServiceSettings

log = logging.getLogger(__name__)
PURPOSE = "access"


def token_verifier(settings: ServiceSettings) -> TokenVerifier | None:
    secret = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else None
    if not secret and not settings.auth_jwks_url:
        return None
    return TokenVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        secret=secret or None,
        jwks=JwksCache(settings.auth_jwks_url) if settings.auth_jwks_url else None,
        algorithms=settings.auth_algorithms,
        claims=ClaimNames(
            subject=settings.auth_subject_claim,
            roles=settings.auth_roles_claim,
            departments=settings.auth_departments_claim,
            name=settings.auth_name_claim,
        ),
        leeway_seconds=settings.auth_leeway_seconds,
    )


class ProcessAccess:
    def __init__(
        self,
        runtime: Runtime,
        open_paths: tuple[str, ...] = (),
        pages: tuple[str, ...] = (),
        login_path: str | None = None,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.ring = KeyRing()
        self.keys = KeyStore(runtime.db[API_KEYS])
        self.trail = AuditTrail(runtime.db[AUDIT], settings.service_name, runtime.clock.now)
        self.control = AccessControl(
            self.ring,
            token_verifier(settings),
            RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
            runtime.clock.now,
            open_paths,
            pages,
            login_path,
        )
        runtime.indexes[AUDIT] = [*runtime.indexes.get(AUDIT, []), *AUDIT_INDEXES]
        if self.control.tokens is None:
            log.warning("no TICKETFLOW_AUTH_JWT_SECRET or _JWKS_URL: only API keys are accepted")

    async def start(self, runtime: Runtime) -> None:
        """Load the keys, follow the key events, and re-read the store every few seconds so
        a key revoked through another process of this service stops working here too."""
        await self.refresh()
        # No inbox: applying a key event twice, or out of order, changes nothing.
        keys = EventHandlers().on(ApiKeyIssuedV1, ApiKeyRevokedV1, handler=self.on_key_event)
        await runtime.consume(keys, purpose=PURPOSE, inbox=False)
        runtime.scheduler.every(
            "api-key-refresh", runtime.settings.auth_key_refresh_seconds, self.refresh
        )

    async def refresh(self) -> None:
        self.ring.replace(await self.keys.all())

    async def on_key_event(self, envelope: Envelope, payload: Payload) -> None:
        await self.keys.apply(payload)
        key = await self.keys.get(envelope.subject)
        if key is not None:
            self.ring.put(key)
