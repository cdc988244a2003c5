"""HTTP shapes of inbound email attachments."""

from pydantic import BaseModel, ConfigDict, Field


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size: int = Field(description="Bytes")


class TicketAttachmentRead(AttachmentRead):
    message_id: str | None = Field(
        description="The thread message it came with; null: the mail that opened the ticket"
    )


class TicketAttachmentList(BaseModel):
    data: list[TicketAttachmentRead]
    count: int
