"""Inbound email webhook: a mail provider posts one raw RFC 5322 message."""

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError

from intake.adapters.email_parser import MalformedEmail
from intake.attachments_api import DOWNLOAD_PATHS
from intake.attachments_schemas import AttachmentRead
from intake.domain.attachments import AttachmentRules
from intake.email_inbox import AttachmentStore, Dropped, EmailInbox, EmailReceived
from intake.ports import CategoryRepository, TicketRepository
from intake.settings import IntakeSettings
from intake.triage_step import Triager
from ticketflow_shared.access.guard import TicketCreator

email_router = APIRouter(prefix="/channels", tags=["channels"])
EMAIL_PATH = "/channels/email"
EMAIL_DEADLINE_SECONDS = 30.0
# A raw mail with its attachments, and an attachment's download, may take longer than the
# front door's second: up to 25 MB read, sealed or opened, stored whole.
SLOW_PATHS = {EMAIL_PATH: EMAIL_DEADLINE_SECONDS, DOWNLOAD_PATHS: EMAIL_DEADLINE_SECONDS}


def email_inbox(
    settings: IntakeSettings,
    tickets: TicketRepository,
    categories: CategoryRepository,
    attachments: AttachmentStore,
    triager: Triager | None = None,
) -> EmailInbox:
    """The inbox over the app's stores, for the webhook and the SMTP listener alike."""
    rules = AttachmentRules(
        settings.inbound_email_max_attachment_bytes,
        frozenset(t.lower() for t in settings.inbound_email_attachment_types),
    )
    return EmailInbox(
        tickets,
        categories,
        settings.inbound_email_category,
        settings.message_id_domain,
        attachments,
        rules,
        triager=triager,
        repeat_contact=settings.repeat_contact_policy(),
    )


@email_router.post(
    "/email",
    status_code=201,
    summary="Take one raw email (message/rfc822) from a mail provider's inbound webhook",
    responses={
        200: {"description": "A redelivery, or a customer's answer joining its ticket"},
        202: {"description": "Automatic mail (auto-reply, bounce, list): dropped"},
    },
)
async def receive_email(request: Request, response: Response, _: TicketCreator) -> dict:
    settings = request.app.state.intake_settings
    if request.headers.get("content-type", "").split(";")[0].strip() != "message/rfc822":
        raise HTTPException(415, "Content-Type must be message/rfc822")
    raw = await _read_limited(request, settings.inbound_email_max_bytes)
    try:
        outcome = await request.app.state.email_inbox.take(raw)
    except MalformedEmail as exc:
        error = {"type": "value_error", "loc": ("body",), "msg": str(exc)}
        raise RequestValidationError([error]) from exc
    if isinstance(outcome, Dropped):
        response.status_code = 202
        return {"dropped": True, "reason": outcome.reason}
    joined = outcome.duplicate_of is not None
    response.status_code = 200 if outcome.replayed or outcome.threaded or joined else 201
    return answer(outcome)


def answer(received: EmailReceived) -> dict:
    body = {"ticket_id": received.ticket.id, "replayed": received.replayed}
    if received.threaded:
        body["message_id"] = received.message.id if received.message else None
        body["threaded"] = True
    if received.duplicate_of:
        body["duplicate_of"] = received.duplicate_of
    kept = [AttachmentRead.model_validate(a).model_dump() for a in received.attachments]
    return body | {"attachments": kept, "notes": list(received.notes)}


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"message larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
