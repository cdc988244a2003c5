"""HTTP shapes: what the API reads and returns."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from notify.domain.deliveries import CHANNEL, Delivery, DeliveryStatus
from notify.domain.templates import Template


class TemplateUpdate(BaseModel):
    """A template's jinja2 text; names: `ticket`, `customer`, `event` (the event's fields)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=20_000)
    enabled: bool = Field(
        default=True,
        description="Whether the customer gets this email; only `status.<status>` templates "
        "may be switched off",
    )


class TemplateRead(BaseModel):
    event_type: str
    subject: str
    body: str
    updated_at: datetime | None = Field(description="null while the seeded default is in use")
    enabled: bool

    @classmethod
    def of(cls, template: Template) -> "TemplateRead":
        return cls(
            event_type=template.event_type,
            subject=template.subject,
            body=template.body,
            updated_at=template.updated_at,
            enabled=template.enabled,
        )


class TemplateList(BaseModel):
    data: list[TemplateRead]
    count: int


class NotificationRead(BaseModel):
    id: str
    ticket_id: str
    event_id: str
    event_type: str
    template: str
    channel: Literal["email"] = CHANNEL
    recipient: str
    recipient_name: str | None
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None = Field(description="The Message-ID of the email this one answers")
    references: list[str] = Field(description="The thread's Message-IDs from its first email")
    status: DeliveryStatus
    attempts: int
    abandoned_attempts: int = Field(
        description="Attempts that ended without an outcome (their process died or lost the "
        "store mid-send): each may have reached the customer"
    )
    possibly_duplicated: bool = Field(
        description="Sent after an abandoned attempt, so the customer may have this email "
        "twice (with the same Message-ID, which mail clients fold)"
    )
    error: str | None
    smtp_response: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> "NotificationRead":
        return cls(
            id=delivery.id,
            ticket_id=delivery.ticket_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            template=delivery.template,
            recipient=delivery.recipient,
            recipient_name=delivery.recipient_name,
            subject=delivery.subject,
            body=delivery.body,
            message_id=delivery.message_id,
            in_reply_to=delivery.in_reply_to,
            references=list(delivery.references),
            status=delivery.status,
            attempts=delivery.attempts,
            abandoned_attempts=delivery.abandoned_attempts,
            possibly_duplicated=delivery.possibly_duplicated,
            error=delivery.error,
            smtp_response=delivery.smtp_response,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            sent_at=delivery.sent_at,
        )


class NotificationList(BaseModel):
    data: list[NotificationRead]
    count: int
