"""HTTP shapes of the public web form: what it shows of a category, what a customer sends
(nothing the API keys protect: no channel, priority, department, assignee, tags or external
references; unknown keys refused) and the reference they get back."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.category_schemas import FieldName
from intake.domain.commands import CreateTicket
from intake.domain.form_fields import FieldKind
from intake.schemas import CustomerCreate, FieldValue, Lines, OneLine, Text
from ticketflow_shared.events import Channel


class FormFieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    kind: FieldKind
    max_length: int
    required: bool


class FormCategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    fields: list[FormFieldRead]


class FormCategoryList(BaseModel):
    data: list[FormCategoryRead]
    count: int


class WebTicketCreate(BaseModel):
    """A customer's ticket from the form; the same limits as POST /tickets."""

    model_config = ConfigDict(extra="forbid")

    customer: CustomerCreate
    subject: Annotated[str, Text, StringConstraints(max_length=200), OneLine]
    body: Annotated[str, Text, StringConstraints(max_length=20_000), Lines]
    category: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=50)]
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=50)

    def to_command(self, idempotency_key: str, created_by: str) -> CreateTicket:
        return CreateTicket(
            **self.model_dump(exclude={"customer"}),
            channel=Channel.web,
            priority=None,
            customer=self.customer.to_customer(),
            idempotency_key=idempotency_key,
            created_by=created_by,
        )


class WebTicketCreated(BaseModel):
    """All the customer is told: the reference to quote, the category it is filed under, and
    whether the message joined the customer's open request about the same problem."""

    reference: str
    category: str
    joined: bool = False
