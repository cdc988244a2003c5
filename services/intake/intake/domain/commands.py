"""What callers ask intake to do: imperative, validated at the edge, free of HTTP."""

from pydantic import BaseModel, ConfigDict, Field

from intake.domain.attachments import AttachmentRef
from intake.domain.categories import FieldValue
from intake.domain.idempotency import request_fingerprint
from ticketflow_shared.events import Channel, Customer, Priority


class CreateTicket(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: Channel
    customer: Customer
    subject: str
    body: str
    # None: triage decides, falling back to `fallback_category` (the channel's own).
    category: str | None = None
    fallback_category: str | None = None
    priority: Priority | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    idempotency_key: str | None = None
    # Who asks (`key:<id>`, `user:<sub>`): idempotency keys are each caller's own.
    created_by: str | None = None
    # A CRM's ids for the ticket (`{"salescrm": "5001"}`) and the customer's tier there.
    external_refs: dict[str, str] = Field(default_factory=dict)
    customer_tier: str | None = None
    # An email's kept attachments: on the ticket, or on the message when it joins an open one.
    attachments: tuple[AttachmentRef, ...] = ()

    def fingerprint(self) -> str:
        """Hash of the request itself; an explicit null and an omitted field hash alike."""
        # Without refs, as before they existed: stored idempotency records still match.
        # Attachments come from the same raw mail its Message-ID (the key) names.
        unhashed = {"idempotency_key", "created_by", "fallback_category", "attachments"} | (
            set() if self.external_refs else {"external_refs"}
        )
        request = self.model_dump(mode="json", exclude=unhashed, exclude_none=True)
        if self.category is None and self.fallback_category is not None:
            # As channels hashed it when they named their category themselves: a redelivery
            # of a message taken before triage still matches its stored record.
            request["category"] = self.fallback_category
        return request_fingerprint(request)


class ResolveTicket(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    resolution: str | None = None
    # Who solves it, as the status change records (`user:<sub>`, `key:<id>`).
    actor: str | None = None
