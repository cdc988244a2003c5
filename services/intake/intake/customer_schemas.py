"""HTTP shapes of customers: the CRM's record in, the profile with its timeline out."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.customer_handlers import CustomerView
from intake.domain.ticket import TicketStatus
from intake.domain.timelines import TimelineTicket
from intake.schemas import MailAddress, OneLine
from ticketflow_shared.events import AuthorKind, Channel

CustomerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200), OneLine]


class CrmRecord(BaseModel):
    """A customer as the CRM holds it; a field left out keeps its stored value."""

    model_config = ConfigDict(extra="forbid")

    name: Label | None = None
    tier: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    company: Label | None = None
    owner: Label | None = None
    email: MailAddress | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId = Field(description="The record to merge into this one")


class UnmergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId = Field(description="The record merged into this one to split off")


class TimelineMessage(BaseModel):
    author_kind: AuthorKind
    body: str
    at: datetime
    channel: Channel


class TimelineItem(BaseModel):
    ticket_id: str
    status: TicketStatus
    channel: Channel
    subject: str
    created_at: datetime
    messages: list[TimelineMessage]

    @classmethod
    def of(cls, ticket: TimelineTicket) -> "TimelineItem":
        # A message keeps no channel of its own: it came in on its ticket's.
        messages = [
            TimelineMessage(author_kind=m.author_kind, body=m.body, at=m.at, channel=ticket.channel)
            for m in ticket.messages
        ]
        return cls(
            ticket_id=ticket.id,
            status=ticket.status,
            channel=ticket.channel,
            subject=ticket.subject,
            created_at=ticket.created_at,
            messages=messages,
        )


class Timeline(BaseModel):
    data: list[TimelineItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class CustomerRead(BaseModel):
    id: str
    name: str | None
    tier: str | None
    company: str | None
    owner: str | None
    email: str | None
    phone: str | None
    external_ids: list[str] = Field(description="`system:id` of each CRM record")
    merged: list[str] = Field(description="Records merged into this one")
    timeline: Timeline | None = None

    @classmethod
    def of(cls, view: CustomerView) -> "CustomerRead":
        profile, newest = view.profile, view.tickets[0] if view.tickets else None
        return cls(
            id=profile.id,
            name=profile.name or (newest.customer_name if newest else None),
            tier=profile.tier,
            company=profile.company,
            owner=profile.owner,
            email=profile.email or (newest.customer_email if newest else None),
            phone=profile.phone,
            external_ids=list(profile.external_ids),
            merged=list(profile.merges),
            timeline=Timeline(
                data=[TimelineItem.of(t) for t in view.tickets], next_cursor=view.next_cursor
            ),
        )


class CustomerIds(BaseModel):
    data: list[str]
    count: int


class MergedInto(BaseModel):
    merged_into: str = Field(description="The record this one was merged into")
