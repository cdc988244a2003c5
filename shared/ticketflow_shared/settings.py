"""Settings base: every service reads `TICKETFLOW_*` environment variables through one class."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketflow_shared import pii


class ServiceSettings(BaseSettings):
    """What every service needs to reach the broker, the store and the trace backend."""

    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", env_file=".env", extra="ignore")

    service_name: str = "ticketflow"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = ""
    exchange: str = "ticketflow"
    queue_prefix: str = ""
    prefetch: int = Field(default=32, ge=1)
    max_delivery_attempts: int = Field(default=5, ge=1)
    retry_backoff_seconds: float = Field(default=0.2, ge=0)
    publish_timeout_seconds: float = Field(default=5.0, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_sweep_seconds: float = Field(default=60.0, gt=0)
    # On FerretDB only: lock each updated document in the store, for several processes of
    # this service on one store (two more round trips per update). Ignored on MongoDB.
    store_cross_process_locks: bool = False
    # Off: run on FerretDB the code MongoDB runs (no `_id` rewrites, no store locks; writes
    # still take turns in the process). Only for a test pass with one consumer at a time.
    ferretdb_workarounds: bool = True
    # Count each store command by where in the code it was sent from too (`GET /metrics`);
    # for profiling: it walks the stack on every command.
    store_callsites: bool = False
    # Every HTTP answer within a deadline: 503 + Retry-After rather than a hanging request.
    http_max_in_flight: int = Field(default=64, ge=1)
    http_queue_seconds: float = Field(default=0.25, gt=0)
    http_deadline_seconds: float = Field(default=5.0, gt=0)
    # Access control: people's JWTs (a shared secret for HS256, or the identity provider's
    # JWKS URL), systems' API keys (issued on intake, copied to every service over the bus).
    auth_jwt_secret: SecretStr | None = None
    auth_jwks_url: str | None = None
    auth_issuer: str = "ticketflow-local"
    auth_audience: str = "ticketflow"
    auth_algorithms: list[str] = Field(default_factory=list)
    auth_subject_claim: str = "sub"
    auth_roles_claim: str = "roles"
    auth_departments_claim: str = "departments"
    auth_name_claim: str = "name"
    auth_leeway_seconds: float = Field(default=30.0, ge=0)
    auth_key_refresh_seconds: float = Field(default=2.0, gt=0)
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    # A request body over this is refused with 413 before it is parsed.
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    # Customer data at rest (`pii.py`): `kid:base64key,...`, the id new values are sealed
    # with (may be left out with one key), and the blind index's own key.
    pii_keys: SecretStr = SecretStr("")
    pii_active_key: str = ""
    pii_index_key: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _pii_keys_usable(self) -> "ServiceSettings":
        """Keys that are given must work: a bad one stops the start, not the first ticket."""
        if self.pii_keys.get_secret_value() or self.pii_index_key.get_secret_value():
            self.field_cipher()
        return self

    def field_cipher(self) -> pii.FieldCipher:
        """The cipher for customer data; raise PiiConfigError when no keys are configured."""
        keys = pii.parse_keys(self.pii_keys.get_secret_value())
        index_key = self.pii_index_key.get_secret_value()
        if not keys or not index_key:
            raise pii.PiiConfigError(
                "customer data is stored sealed and no keys are configured: set "
                "TICKETFLOW_PII_KEYS (kid:base64 of 32 bytes), TICKETFLOW_PII_INDEX_KEY "
                "(base64 of 32 bytes) and, with several keys, TICKETFLOW_PII_ACTIVE_KEY "
                "(deploy/up generates them once under $TICKETFLOW_HOME/secrets/)"
            )
        active = self.pii_active_key or (next(iter(keys)) if len(keys) == 1 else "")
        return pii.FieldCipher(keys, active, pii.decode_key(index_key, "PII index key"))

    @property
    def database_name(self) -> str:
        return self.mongo_db or f"ticketflow_{self.service_name}"

    @property
    def queue_namespace(self) -> str:
        return f"{self.queue_prefix}{self.service_name}"
