"""What callers ask intake to do: imperative, validated at the edge, free of HTTP."""

from pydantic import BaseModel, ConfigDict, Field

from intake.domain.categories import FieldValue
from intake.domain.idempotency import request_fingerprint
from ticketflow_shared.events import Channel, Customer, Priority


class CreateTicket(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: Channel
    customer: Customer
    subject: str
    body: str
    category: str
    priority: Priority | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    idempotency_key: str | None = None
    # Who asks (`key:<id>`, `user:<sub>`): idempotency keys are each caller's own.
    created_by: str | None = None

    def fingerprint(self) -> str:
        """Hash of the request itself; an explicit null and an omitted field hash alike."""
        return request_fingerprint(
            self.model_dump(
                mode="json", exclude={"idempotency_key", "created_by"}, exclude_none=True
            )
        )


class ResolveTicket(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    resolution: str | None = None
    # Who solves it, as the status change records (`user:<sub>`, `key:<id>`).
    actor: str | None = None
