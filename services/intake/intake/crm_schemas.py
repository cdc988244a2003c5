"""The JSON a CRM pushes to `POST /channels/crm`: a customer upsert, with a new ticket or not."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.customer_schemas import CrmRecord
from intake.domain.commands import CreateTicket
from intake.domain.customer_profiles import CustomerProfile
from intake.schemas import FieldName, FieldValue, Lines, OneLine, Text
from ticketflow_shared.events import Channel, Customer, Priority

CrmId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@+\-]{1,200}$")]


class CrmCustomer(CrmRecord):
    external_id: CrmId = Field(description="The customer's id in the CRM")


class CrmTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: CrmId = Field(description="The CRM's case id, kept in the ticket's external_refs")
    subject: Annotated[str, Text, StringConstraints(max_length=200), OneLine]
    body: Annotated[str, Text, StringConstraints(max_length=20_000), Lines]
    category: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=50)]
        | None
    ) = Field(default=None, description="Left out: triage decides, as for `POST /tickets`")
    priority: Priority | None = None
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=50)


class CrmEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: CrmId = Field(description="The CRM's id of this push: a redelivery is the same")
    system: CrmId = Field(description="Which CRM, as in `PUT /customers/by-external-id/{system}`")
    customer: CrmCustomer
    ticket: CrmTicket | None = None

    def record(self) -> dict:
        return self.customer.model_dump(exclude={"external_id"})

    def to_command(self, profile: CustomerProfile, created_by: str) -> CreateTicket:
        assert self.ticket is not None and profile.email is not None
        customer = Customer.model_construct(
            email=profile.email, name=profile.name, customer_id=profile.id
        )
        return CreateTicket(
            channel=Channel.crm,
            customer=customer,
            **self.ticket.model_dump(exclude={"case_id"}),
            idempotency_key=f"crm:{self.system.lower()}:{self.event_id}"[:200],
            created_by=created_by,
            external_refs={self.system.lower(): self.ticket.case_id},
            customer_tier=profile.tier,
        )


class CrmResult(BaseModel):
    customer_id: str
    ticket_id: str | None = None
    replayed: bool = False
