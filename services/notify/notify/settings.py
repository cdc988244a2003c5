"""Notify's settings: the shared base plus how to reach the mail server."""

from email.utils import parseaddr

from pydantic import Field, SecretStr, field_validator, model_validator

from ticketflow_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = Field(default=10.0, gt=0)
    mail_from: str = "ticketflow support <support@ticketflow.local>"
    # Right-hand side of the Message-IDs notify makes (None: mail_from's domain).
    message_id_domain: str | None = Field(
        default=None, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$"
    )
    # How long one send attempt owns a delivery; a copy of the same event waits this long
    # before taking over (the owner may have crashed mid-send).
    send_lease_seconds: float = Field(default=30.0, gt=0)
    # Sends under way at once: each one is an email a crash right now could make us resend.
    max_concurrent_sends: int = Field(default=4, ge=1, le=256)
    # How long a process reuses a template it read; an edit through another process shows
    # up within this time.
    template_cache_seconds: float = Field(default=5.0, ge=0)
    # Templates are operator code: each render runs in a worker process with these limits.
    template_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    template_workers: int = Field(default=2, ge=1, le=16)
    template_memory_mb: int = Field(default=1024, ge=256)

    @field_validator("mail_from")
    @classmethod
    def _has_address(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("mail_from needs an address, e.g. 'Support <support@example.com>'")
        return value

    @model_validator(mode="after")
    def _lease_outlives_send(self) -> "NotifySettings":
        if self.send_lease_seconds <= self.smtp_timeout:
            raise ValueError("send_lease_seconds must exceed smtp_timeout")
        return self

    @property
    def mail_domain(self) -> str:
        """Right-hand side of Message-ID headers: `message_id_domain`, else the sender's."""
        return self.message_id_domain or parseaddr(self.mail_from)[1].rsplit("@", 1)[1]
