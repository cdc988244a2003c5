"""HTTP shapes of the lifecycle, the conversation, the desk and the full ticket view."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.attachments_schemas import AttachmentRead
from intake.conversation import Posted
from intake.desk import Desk, TicketView
from intake.domain.messages import MAX_BODY_CHARS, Message
from intake.domain.procedure import progress
from intake.domain.ticket import Ticket, TicketStatus
from intake.handoff_schemas import ConsultRequestRead, consult_requests
from intake.procedure_schemas import ProcedureRead, ProgressRead
from intake.schemas import CustomerRead, HistoryRead, Lines, Text, TicketRead
from ticketflow_shared.events import AuthorKind, Channel, Priority, Visibility

MessageBody = Annotated[str, Text, StringConstraints(max_length=MAX_BODY_CHARS), Lines]
MessageId = Annotated[str, StringConstraints(pattern=r"^M-[0-9a-f]{24}$")]
Reason = Annotated[str, Text, StringConstraints(max_length=2_000), Lines]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "pending", "on_hold", "solved"]
    reason: Reason | None = None


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MessageBody
    visibility: Visibility
    in_reply_to: MessageId | None = None


class CustomerMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MessageBody
    in_reply_to: MessageId | None = None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author: str
    author_kind: AuthorKind
    author_name: str | None
    visibility: Visibility
    body: str
    at: datetime
    in_reply_to: str | None
    agent_id: str | None
    channel: str | None = Field(
        default=None, description="The channel a customer's message came in by (email, chat)"
    )
    attachments: list[AttachmentRead] = Field(
        default=[], description="An email's kept attachments: GET /tickets/{id}/attachments/{id}"
    )
    external_refs: dict[str, str] = Field(
        default={}, description="A CRM's case this message brought, when a push joined the ticket"
    )


class MessageList(BaseModel):
    data: list[MessageRead]
    count: int


class CustomerMessagePosted(BaseModel):
    """The ticket the message went to (a new follow-up when the first was closed), and the
    message when it joined that ticket's thread."""

    ticket: TicketRead
    message: MessageRead | None
    follow_up: bool

    @classmethod
    def of(cls, posted: Posted, reads_internal: bool) -> "CustomerMessagePosted":
        message = posted.message
        return cls(
            ticket=TicketRead.model_validate(posted.ticket).for_reader(reads_internal),
            message=MessageRead.model_validate(message) if message else None,
            follow_up=message is None,
        )


class DeskTicket(BaseModel):
    id: str
    subject: str
    status: TicketStatus
    priority: Priority
    category: str
    department: str | None
    channel: Channel
    customer_name: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    procedure: ProgressRead

    @classmethod
    def of(cls, ticket: Ticket) -> "DeskTicket":
        counted = progress(ticket.procedure)
        return cls(
            id=ticket.id,
            subject=ticket.subject,
            status=ticket.status,
            priority=ticket.priority,
            category=ticket.category,
            department=ticket.department,
            channel=ticket.channel,
            customer_name=ticket.customer.name,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            first_response_at=ticket.first_response_at,
            procedure=ProgressRead(
                done=counted.done, total=counted.total, required_left=counted.required_left
            ),
        )


class DeskRead(BaseModel):
    """The calling agent's tickets: open ones in work order (priority, then oldest first),
    then those waiting on the customer and those on hold."""

    agent_id: str
    open: list[DeskTicket]
    pending: list[DeskTicket]
    on_hold: list[DeskTicket]
    consults: list[ConsultRequestRead] = Field(
        default_factory=list, description="Consults asked of the agent's departments, unanswered"
    )
    count: int = Field(description="Tickets on the desk in all")

    @classmethod
    def of(cls, desk: Desk) -> "DeskRead":
        columns = {
            name: [DeskTicket.of(t) for t in getattr(desk, name)]
            for name in ("open", "pending", "on_hold")
        }
        return cls(
            agent_id=desk.agent_id,
            count=sum(len(column) for column in columns.values()),
            consults=consult_requests(desk.consulted, "open", desk.departments),
            **columns,
        )


class TicketViewRead(BaseModel):
    ticket: TicketRead
    thread: list[MessageRead]
    history: list[HistoryRead]
    procedure: ProcedureRead
    customer: CustomerRead
    other_tickets: list[DeskTicket] = Field(
        description="The customer's other tickets the caller may see, newest first (at most 20)"
    )

    @classmethod
    def of(cls, view: TicketView) -> "TicketViewRead":
        ticket = view.ticket
        return cls(
            ticket=TicketRead.model_validate(ticket).for_reader(view.reads_internal),
            thread=[MessageRead.model_validate(m) for m in view.thread],
            history=[HistoryRead.model_validate(h) for h in ticket.history],
            procedure=ProcedureRead.of(ticket.procedure),
            customer=CustomerRead.model_validate(ticket.customer),
            other_tickets=[DeskTicket.of(t) for t in view.other_tickets],
        )


def message_list(messages: list[Message]) -> MessageList:
    return MessageList(data=[MessageRead.model_validate(m) for m in messages], count=len(messages))
