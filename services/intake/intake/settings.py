"""Intake's settings: the shared base plus what only the front door needs."""

from datetime import timedelta

from pydantic import AliasChoices, AnyHttpUrl, Field, SecretStr

from intake.domain.duplicates import DuplicatePolicy
from intake.domain.repeat_contact import RepeatContactPolicy
from intake.domain.self_service import LinkSigner, SelfServiceLinks
from intake.domain.triage_rules import RULES_BUDGET_S
from ticketflow_shared.settings import ServiceSettings

ATTACHMENT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
    "message/rfc822",
)


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    # Off for a deployment whose operators manage every category through the API.
    seed_default_categories: bool = True
    # The front door answers within a second, whatever the backlog behind it: a client that
    # gets 503 + Retry-After retries with its Idempotency-Key instead of hanging.
    http_deadline_seconds: float = Field(default=1.0, gt=0)
    # The lifecycle: a solved ticket closes by itself this long after it was solved (4 days),
    # looked for every `close_sweep_seconds` (hourly: on FerretDB each look reads every ticket).
    close_solved_after_seconds: float = Field(default=4 * 24 * 3600, gt=0)
    close_sweep_seconds: float = Field(default=3600.0, gt=0)
    # The CRM push ledger (`crm_pushes`): a push is remembered this long after it was taken,
    # so a redelivery within it answers what the first made and writes nothing; entries
    # older are deleted every `crm_push_sweep_seconds` (at least a day: no push is still
    # under way by then).
    crm_push_retention_days: float = Field(default=30.0, ge=1)
    crm_push_sweep_seconds: float = Field(default=3600.0, gt=0)
    # Inbound email: the largest raw message taken (webhook 413), the category a new email
    # ticket gets (one with no required fields, so nothing blocks an email).
    inbound_email_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    inbound_email_category: str = "general"
    # The right-hand side of notify's Message-IDs (notify reads the same variable): an answer
    # naming one of ours joins its ticket. Set both when notify's default (the domain of
    # TICKETFLOW_MAIL_FROM) is not ticketflow.local.
    message_id_domain: str = Field(
        default="ticketflow.local", min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$"
    )
    # The SMTP listener an MTA relays support mail to (port 0: off).
    intake_smtp_host: str = "127.0.0.1"
    intake_smtp_port: int = Field(default=0, ge=0, le=65535)
    # Attachments kept from inbound mail: each at most this big, of these types.
    inbound_email_max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, le=15 * 1024 * 1024
    )
    inbound_email_attachment_types: list[str] = Field(
        default_factory=lambda: list(ATTACHMENT_TYPES)
    )
    # Chat: the category a new chat ticket gets; Slack's signing secret (unset: Slack's
    # endpoint answers 404).
    chat_category: str = "general"
    # Automatic triage: how often each process re-reads the stored rules and classifier, the
    # category of a REST ticket that names none when triage decides none, and how many
    # resolved tickets training needs at least and reads at most.
    triage_refresh_seconds: float = Field(default=5.0, gt=0)
    # The seconds evaluating one ticket's rules may take (each regex also stops at 0.05):
    # past it, a rule that needs another regex does not match and is recorded as skipped.
    # Well under `http_deadline_seconds`, which the rest of the create path shares.
    triage_rules_budget_seconds: float = Field(default=RULES_BUDGET_S, gt=0)
    # What a knowledge-base article needs to be suggested on a new ticket: at least
    # `min_share` of the best article's BM25 score (an article sharing a word or two with the
    # ticket scores far below one that answers it), and a score of at least `min_score` (off by
    # default: scores grow with the number of articles, so a floor suits one knowledge base).
    triage_suggestion_min_score: float = Field(default=0.0, ge=0)
    triage_suggestion_min_share: float = Field(default=0.5, ge=0, le=1)
    triage_default_category: str = "general"
    triage_train_min_examples: int = Field(default=20, ge=2)
    triage_train_max_examples: int = Field(default=5000, ge=2, le=50_000)
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "TICKETFLOW_INTAKE_SLACK_SIGNING_SECRET", "slack_signing_secret"
        ),
    )
    # Self-service: the address customers reach intake at (links in the acknowledgement) and
    # the secret those links are signed with; with either unset, suggested articles are
    # listed without links. A link is good for `self_service_link_days`.
    intake_public_url: AnyHttpUrl | None = None
    self_service_secret: SecretStr | None = Field(
        default=None,
        min_length=16,
        validation_alias=AliasChoices(
            "TICKETFLOW_INTAKE_SELF_SERVICE_SECRET", "self_service_secret"
        ),
    )
    self_service_link_days: float = Field(default=30.0, gt=0, le=365)
    # The public web form: requests per minute and burst per client address (429 beyond),
    # and the largest ticket body it takes (413 beyond).
    web_form_requests_per_minute: float = Field(default=20.0, gt=0)
    web_form_burst: int = Field(default=10, ge=1)
    web_form_max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # No duplicates: a new request of a customer whose open ticket (created within the window)
    # says the same (score at or above the threshold, 0..1) joins that ticket as a message.
    duplicate_detection: bool = True
    duplicate_window_hours: float = Field(default=72.0, gt=0)
    duplicate_threshold: float = Field(default=0.4, gt=0, le=1)
    # Repeated contact: a customer message that makes `count` contacts on an open ticket (its
    # opening included) within the window raises the ticket one step, once per window.
    repeat_contact_escalation: bool = True
    repeat_contact_count: int = Field(default=3, ge=2, le=100)
    repeat_contact_window_hours: float = Field(default=24.0, gt=0)

    def duplicate_policy(self) -> DuplicatePolicy:
        return DuplicatePolicy(
            enabled=self.duplicate_detection,
            window=timedelta(hours=self.duplicate_window_hours),
            threshold=self.duplicate_threshold,
        )

    def self_service_links(self) -> SelfServiceLinks | None:
        """How acknowledgements link suggested articles; None without an address or secret."""
        if self.intake_public_url is None or self.self_service_secret is None:
            return None
        signer = LinkSigner(
            self.self_service_secret.get_secret_value().encode(),
            timedelta(days=self.self_service_link_days),
        )
        return SelfServiceLinks(str(self.intake_public_url).rstrip("/"), signer)

    def repeat_contact_policy(self) -> RepeatContactPolicy:
        return RepeatContactPolicy(
            enabled=self.repeat_contact_escalation,
            count=self.repeat_contact_count,
            window=timedelta(hours=self.repeat_contact_window_hours),
        )
