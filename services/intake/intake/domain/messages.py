"""A ticket's conversation: messages from the customer, public replies and internal notes.

The thread lives inside the ticket document, so it is bounded: at most `MAX_MESSAGES`
messages of at most `MAX_BODY_CHARS` characters each. Sealed at rest, a body of 5,000
characters (up to 20,000 bytes of UTF-8) takes at most about 27 KB, so a full thread stays
near 5.5 MB, well inside MongoDB's 16 MB per document with the ticket itself and its history.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from intake.domain.attachments import AttachmentRef
from intake.domain.errors import ThreadFull, UnknownMessage
from ticketflow_shared.events import AuthorKind, Visibility

MESSAGE_ID_PREFIX = "M-"
MAX_MESSAGES = 200
MAX_BODY_CHARS = 5_000


def new_message_id() -> str:
    return MESSAGE_ID_PREFIX + secrets.token_hex(12)


@dataclass(frozen=True)
class Message:
    id: str
    author: str
    author_kind: AuthorKind
    author_name: str | None
    visibility: Visibility
    body: str
    at: datetime
    in_reply_to: str | None = None
    agent_id: str | None = None
    channel: str | None = None  # the channel a customer's message came in by, when not the API
    source_ref: str | None = None  # the channel's own id (a Message-ID, a chat event id)
    attachments: tuple[AttachmentRef, ...] = ()  # an email's kept attachments (bytes apart)
    # A CRM's ids for the request this message brought (a push joined to an open ticket).
    external_refs: dict[str, str] = field(default_factory=dict)

    @property
    def is_public_reply(self) -> bool:
        """A reply the customer reads: what counts as the ticket's first response."""
        return self.visibility is Visibility.public and self.author_kind is AuthorKind.agent


def check_room(ticket_id: str, thread: list[Message]) -> None:
    if len(thread) >= MAX_MESSAGES:
        raise ThreadFull(ticket_id, MAX_MESSAGES)


def check_reply_target(thread: list[Message], in_reply_to: str | None) -> None:
    if in_reply_to is not None and all(message.id != in_reply_to for message in thread):
        raise UnknownMessage(in_reply_to)


def with_source(thread: list[Message], source_ref: str | None) -> Message | None:
    """The message a channel already delivered under `source_ref` (a redelivery), if any."""
    if source_ref is None:
        return None
    return next((m for m in thread if m.source_ref == source_ref), None)


def visible_to(thread: list[Message], *, internal: bool) -> list[Message]:
    """The thread as a reader sees it: internal notes only for staff (`internal`)."""
    return [m for m in thread if internal or m.visibility is Visibility.public]
