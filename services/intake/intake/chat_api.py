"""Chat webhooks: a generic JSON one (API key) and Slack's Events API (Slack's signature)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from intake.chat import ChatInbox, ChatReceived
from intake.domain.chat import (
    ID_LIMIT,
    TEXT_LIMIT,
    ChatMessage,
    ChatUser,
    InvalidChatMessage,
    parse_json_object,
    slack_message,
)
from intake.domain.chat_signatures import BadSignature, verify_slack
from intake.domain.customer_identities import InvalidIdentity
from intake.domain.customers import MailAddress
from intake.handlers import now_ms
from intake.schemas import Lines, OneLine
from intake.triage_step import triager_of
from ticketflow_shared.access.guard import TicketCreator

chat_router = APIRouter(prefix="/channels", tags=["channels"])
slack_router = APIRouter(prefix="/channels", tags=["channels"])
SLACK_EVENTS_PATH = "/channels/slack/events"
SLACK_MAX_BYTES = 1024 * 1024
# Where a chat message carries each part of its customer's identity.
IDENTITY_PARTS = {
    "workspace": ("body", "workspace"),
    "user id": ("body", "user", "id"),
    "email": ("body", "user", "email"),
}

ChatId = Field(min_length=1, max_length=ID_LIMIT, pattern=r"^[A-Za-z0-9._@+:-]+$")


class ChatUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ChatId
    name: Annotated[str, OneLine] | None = Field(default=None, max_length=200)
    email: MailAddress | None = None
    phone: Annotated[str, OneLine] | None = Field(default=None, max_length=40)


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str = ChatId
    conversation_id: str = ChatId
    workspace: str = ChatId
    user: ChatUserIn
    text: Annotated[str, Lines] = Field(min_length=1, max_length=TEXT_LIMIT, pattern=r"\S")
    sent_at: datetime | None = None


def _inbox(request: Request) -> ChatInbox:
    state, settings = request.app.state, request.app.state.intake_settings
    return ChatInbox(
        state.tickets,
        state.categories,
        state.chat_conversations,
        state.customer_identities,
        settings.chat_category,
        triager=triager_of(state),
        duplicates=getattr(state, "duplicates", None),
        repeat_contact=settings.repeat_contact_policy(),
    )


def _answer(received: ChatReceived, response: Response) -> dict:
    joined = received.duplicate_of is not None
    response.status_code = 200 if received.replayed or joined else 201
    answer = {
        "ticket_id": received.ticket.id,
        "message_id": received.message.id if received.message else None,
        "replayed": received.replayed,
    }
    return answer | ({"duplicate_of": received.duplicate_of} if joined else {})


async def _receive(request: Request, response: Response, message: ChatMessage) -> dict:
    try:
        return _answer(await _inbox(request).receive(message), response)
    except InvalidIdentity as exc:  # a workspace or user id the identity keys refuse
        loc = IDENTITY_PARTS.get(exc.part, ("body", "user"))
        error = {"type": "value_error", "loc": loc, "msg": str(exc)}
        raise RequestValidationError([error]) from exc


@chat_router.post(
    "/chat",
    status_code=201,
    summary="Take one chat message; messages of one conversation join one open ticket",
    responses={200: {"description": "Redelivery of an event_id already taken"}},
)
async def receive_chat(
    body: ChatMessageIn, request: Request, response: Response, _: TicketCreator
) -> dict:
    user = body.user
    message = ChatMessage(
        event_id=f"chat:{body.workspace}:{body.event_id}",
        workspace=body.workspace,
        conversation=body.conversation_id,
        user=ChatUser(user.id, user.name, str(user.email) if user.email else None, user.phone),
        text=body.text,
        sent_at=body.sent_at,
    )
    return await _receive(request, response, message)


@slack_router.post(
    "/slack/events",
    summary="Slack's Events API: url_verification and message events, signed by Slack",
    responses={401: {"description": "Bad or stale signature"}, 404: {"description": "Off"}},
)
async def slack_events(request: Request, response: Response) -> dict:
    secret = request.app.state.intake_settings.slack_signing_secret
    if secret is None:
        raise HTTPException(404, "Slack is not configured (TICKETFLOW_INTAKE_SLACK_SIGNING_SECRET)")
    raw = await request.body()
    if len(raw) > SLACK_MAX_BYTES:
        raise HTTPException(413, f"body larger than {SLACK_MAX_BYTES} bytes")
    try:
        verify_slack(
            secret.get_secret_value(),
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            raw,
            now_ms(),
        )
    except BadSignature as exc:
        raise HTTPException(401, str(exc)) from exc
    try:
        envelope = parse_json_object(raw)
        if envelope.get("type") == "url_verification":
            challenge = envelope.get("challenge")
            if not isinstance(challenge, str):
                raise InvalidChatMessage("challenge must be text")
            return {"challenge": challenge}
        if envelope.get("type") != "event_callback":
            return {"ignored": True}
        message = slack_message(envelope)
    except InvalidChatMessage as exc:
        raise HTTPException(400, str(exc)) from exc
    if message is None:
        return {"ignored": True}
    return await _receive(request, response, message)
