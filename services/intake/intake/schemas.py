"""HTTP shapes, one per use: TicketCreate in, TicketRead out, list wrappers with data and count."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)
from pydantic_core import PydanticCustomError

from intake.category_schemas import (
    FieldName,
    FieldNames,
    FieldSpecRead,
    FieldSpecUpdate,
    Label,
    RequiredByChannel,
    no_repeats,
)
from intake.domain.categories import CategoryRule
from intake.domain.commands import CreateTicket
from intake.domain.customers import MailAddress, checked_customer
from intake.domain.ticket import TicketStatus
from intake.procedure_schemas import ProcedureRead, ProcedureStepRead
from intake.triage_schemas import TriageRecordRead
from ticketflow_shared.events import Channel, Customer, Priority

CategoryName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,49}$")]
Text = StringConstraints(strip_whitespace=True, min_length=1)


# Control characters: C0 and C1, DEL, and the Unicode line and paragraph separators. A NUL
# cuts text short in C-based tools; mail headers and line-based readers break at the others.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"


def _refuse_controls(pattern: str, allowed: str = "") -> AfterValidator:
    found_in = re.compile(pattern).search
    message = f"Text must not contain control characters{allowed}: U+{{code}} at position {{at}}"

    def check(text: str) -> str:
        found = found_in(text)
        if found is not None:
            context = {"code": f"{ord(found.group()):04X}", "at": found.start()}
            raise PydanticCustomError("control_character", message, context)
        return text

    return AfterValidator(check)


OneLine = _refuse_controls(f"[{_CONTROL}]")
# Body text keeps its tabs and line breaks.
Lines = _refuse_controls(
    rf"(?![\t\n\r])[{_CONTROL}]", " other than tab, line feed and carriage return"
)


# Values must survive BSON and the consumers' strict event models: integers fit in int64 and
# numbers are finite (Starlette's JSON parser accepts `NaN` and `Infinity`).
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _value_kind(value: object) -> str | None:
    """Pick the branch by JSON type, so an oversized integer is refused, not widened to float."""
    for kind in (bool, int, float, str):  # bool first: it is a subclass of int
        if isinstance(value, kind):
            return kind.__name__
    return None


FieldValue = Annotated[
    Annotated[str, StringConstraints(max_length=2000), OneLine, Tag("str")]
    | Annotated[Int64, Tag("int")]
    | Annotated[FiniteFloat, Tag("float")]
    | Annotated[bool, Tag("bool")],
    Discriminator(
        _value_kind,
        custom_error_type="field_value",
        custom_error_message="Input should be text, a number or a boolean",
    ),
]


class CustomerCreate(BaseModel):
    """Who the ticket is for; refused unless the mail path can reach and address them."""

    model_config = ConfigDict(extra="forbid")

    email: MailAddress
    name: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None

    def to_customer(self) -> Customer:
        return checked_customer(self.email, self.name)


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    customer: CustomerCreate
    subject: Annotated[str, Text, StringConstraints(max_length=200), OneLine]
    body: Annotated[str, Text, StringConstraints(max_length=20_000), Lines]
    # Omitted: automatic triage picks it (README "Automatic triage").
    category: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=50)]
        | None
    ) = None
    priority: Priority | None = None
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=50)

    def to_command(
        self, idempotency_key: str | None, created_by: str | None = None
    ) -> CreateTicket:
        return CreateTicket(
            **self.model_dump(exclude={"customer"}),
            customer=self.customer.to_customer(),
            idempotency_key=idempotency_key,
            created_by=created_by,
        )


class TicketResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Annotated[str, Text, StringConstraints(max_length=5_000), Lines] | None = None


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    # None for a chat user whose address nobody knows yet.
    email: str | None
    name: str | None
    customer_id: str | None = None


class AssigneeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    name: str
    department: str


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_type: str
    status: TicketStatus
    at: datetime
    event_id: str | None = None
    agent_id: str | None = None
    note: str | None = None
    actor: str | None = None


class OwnershipPeriodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    department: str | None
    agent_id: str | None
    started_at: datetime
    ended_at: datetime | None
    handed_from: str | None = Field(description="The department that transferred it here")
    handed_to: str | None = Field(description="The department it was transferred to")
    note: str | None = Field(description="The handoff note it arrived with")


class OwnershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    periods: list[OwnershipPeriodRead]
    department_seconds: dict[str, float] = Field(description="Time owned, of ended periods")
    agent_seconds: dict[str, float] = Field(description="Time owned, of ended periods")
    followers: list[str] = Field(description="Agents who owned it before")


class ConsultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    department: str
    status: Literal["open", "answered"]
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: TicketStatus
    channel: Channel
    customer: CustomerRead
    subject: str
    body: str
    category: str
    department: str | None = Field(description="The department that owns the ticket")
    priority: Priority
    fields: dict[str, str | int | float | bool]
    assignee: AssigneeRead | None
    resolution: str | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryRead]
    tags: list[str]
    ownership: OwnershipRead
    consults: list[ConsultRead]
    # The lifecycle and the procedure (SOP).
    first_response_at: datetime | None = None
    reopen_count: int = 0
    closed_at: datetime | None = None
    follow_up_of: str | None = None
    follow_ups: list[str] = Field(default_factory=list)
    procedure: ProcedureRead = Field(default_factory=ProcedureRead)
    external_refs: dict[str, str] = Field(
        default_factory=dict, description="The ids other systems (a CRM) know the ticket by"
    )
    customer_tier: str | None = None
    triage: TriageRecordRead | None = Field(
        default=None, description="What automatic triage decided at creation, and why"
    )

    @field_validator("procedure", mode="before")
    @classmethod
    def _procedure(cls, value: object) -> object:
        return ProcedureRead.of(value) if isinstance(value, list) else value

    def for_reader(self, reads_internal: bool) -> "TicketRead":
        """The ticket as its caller may read it: one who reads no internal notes (a
        customer-facing system) gets no handoff notes and no consults either."""
        if reads_internal:
            return self
        periods = [period.model_copy(update={"note": None}) for period in self.ownership.periods]
        ownership = self.ownership.model_copy(update={"periods": periods})
        return self.model_copy(update={"ownership": ownership, "consults": [], "triage": None})


class TicketList(BaseModel):
    data: list[TicketRead]
    count: int = Field(description="Tickets matching the filters, before the limit")


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required_fields: list[FieldName] = Field(default_factory=list, max_length=50)
    default_priority: Priority | None = None
    department: Annotated[str, Text, StringConstraints(max_length=100), OneLine] | None = None
    # What forms show and which fields channels and solving require (category_schemas.py).
    label: Label | None = None
    fields: list[FieldSpecUpdate] = Field(default_factory=list, max_length=50)
    required_by_channel: RequiredByChannel = Field(default_factory=dict)
    required_before_solve: FieldNames = Field(default_factory=list)

    @field_validator("required_fields")
    @classmethod
    def _no_repeats(cls, names: list[str]) -> list[str]:
        return no_repeats(names)

    def to_rule(self, name: str) -> CategoryRule:
        """The rule, checked: InvalidCategory (422) if it names a field it does not declare."""
        rule = CategoryRule(
            name,
            tuple(self.required_fields),
            self.default_priority,
            self.department,
            label=self.label,
            fields=tuple(spec.to_spec() for spec in self.fields),
            required_by_channel={
                channel.value: tuple(names) for channel, names in self.required_by_channel.items()
            },
            required_before_solve=tuple(self.required_before_solve),
        )
        rule.check()
        return rule


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    required_fields: list[str]
    default_priority: Priority | None
    department: str | None
    procedure: list[ProcedureStepRead] = Field(default_factory=list)
    label: str | None = None
    fields: list[FieldSpecRead] = Field(default_factory=list)
    required_by_channel: dict[str, list[str]] = Field(default_factory=dict)
    required_before_solve: list[str] = Field(default_factory=list)


class CategoryList(BaseModel):
    data: list[CategoryRead]
    count: int
