"""Intake's settings: the shared base plus what only the front door needs."""

from datetime import timedelta

from pydantic import AliasChoices, Field, SecretStr

from intake.domain.duplicates import DuplicatePolicy
from ticketflow_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    # Off for a deployment whose operators manage every category through the API.
    seed_default_categories: bool = True
    # The front door answers within a second, whatever the backlog behind it: a client that
    # gets 503 + Retry-After retries with its Idempotency-Key instead of hanging.
    http_deadline_seconds: float = Field(default=1.0, gt=0)
    # The lifecycle: a solved ticket closes by itself this long after it was solved (4 days),
    # looked for every `close_sweep_seconds`.
    close_solved_after_seconds: float = Field(default=4 * 24 * 3600, gt=0)
    close_sweep_seconds: float = Field(default=60.0, gt=0)
    # Inbound email: the largest raw message taken (webhook 413), the category a new email
    # ticket gets (one with no required fields, so nothing blocks an email).
    inbound_email_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    inbound_email_category: str = "general"
    # Chat: the category a new chat ticket gets; Slack's signing secret (unset: Slack's
    # endpoint answers 404).
    chat_category: str = "general"
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "TICKETFLOW_INTAKE_SLACK_SIGNING_SECRET", "slack_signing_secret"
        ),
    )
    # No duplicates: a new request of a customer whose open ticket (created within the window)
    # says the same (score at or above the threshold, 0..1) joins that ticket as a message.
    duplicate_detection: bool = True
    duplicate_window_hours: float = Field(default=72.0, gt=0)
    duplicate_threshold: float = Field(default=0.4, gt=0, le=1)

    def duplicate_policy(self) -> DuplicatePolicy:
        return DuplicatePolicy(
            enabled=self.duplicate_detection,
            window=timedelta(hours=self.duplicate_window_hours),
            threshold=self.duplicate_threshold,
        )
