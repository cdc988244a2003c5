"""A chat message as intake takes it, whichever platform sent it, and its conversation's key."""

import json
from dataclasses import dataclass
from datetime import datetime

TEXT_LIMIT = 5_000
ID_LIMIT = 200


class InvalidChatMessage(ValueError):
    """A chat payload intake cannot take; the message names the field."""


@dataclass(frozen=True)
class ChatUser:
    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """One customer message; `conversation` is the workspace's own id for the conversation."""

    event_id: str
    workspace: str
    conversation: str
    user: ChatUser
    text: str
    sent_at: datetime | None = None

    def conversation_key(self) -> str:
        """One key per customer's conversation across platforms: workspace (lower-cased, as
        identities compare it), the conversation id as the platform writes it, and the user:
        someone else writing in the same thread or channel is another customer, with a
        ticket of their own, never a message in this customer's name."""
        return f"chat:{self.workspace.strip().lower()}:{self.conversation}:{self.user.id}"


def slack_message(envelope: dict) -> ChatMessage | None:
    """The customer message in a Slack `event_callback`, or None for what is not one (a bot's
    message, an edit or deletion, any other event)."""
    event = envelope.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return None
    team = envelope.get("team_id") or event.get("team")
    channel, ts = event.get("channel"), event.get("ts")
    text = event.get("text")
    for name, value in (("team_id", team), ("event.channel", channel), ("event.ts", ts)):
        _require_id(name, value)
    if not isinstance(text, str) or not text.strip():
        raise InvalidChatMessage("event.text must be non-empty text")
    _require_id("event_id", envelope.get("event_id"))
    if event.get("channel_type") == "im":
        conversation = channel  # a direct message: the whole DM is one conversation
    else:
        thread = event.get("thread_ts") or ts
        _require_id("event.thread_ts", thread)
        conversation = f"{channel}:{thread}"
    return ChatMessage(
        event_id=f"slack:{envelope['event_id']}",
        workspace=team,
        conversation=conversation,
        user=ChatUser(id=_id("event.user", event["user"])),
        text=within_limit(text),
    )


def within_limit(text: str) -> str:
    """A message Slack will not take back, at most TEXT_LIMIT characters: cut with a note
    saying how long it was, so the agent knows to read the rest in Slack."""
    if len(text) <= TEXT_LIMIT:
        return text
    note = f"\n\n[cut: the message has {len(text):,} characters; the rest is in Slack]"
    return text[: TEXT_LIMIT - len(note)].rstrip() + note


def parse_json_object(raw: bytes) -> dict:
    """The body as a JSON object, or InvalidChatMessage saying why not."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidChatMessage(f"body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidChatMessage("body must be a JSON object")
    return value


def _require_id(name: str, value: object) -> None:
    _id(name, value)


def _id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_LIMIT:
        raise InvalidChatMessage(f"{name} must be text of 1-{ID_LIMIT} characters")
    return value
