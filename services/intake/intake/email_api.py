"""Inbound email webhook: a mail provider posts one raw RFC 5322 message."""

from fastapi import APIRouter, HTTPException, Request, Response

from intake import handlers
from intake.adapters.email_parser import MalformedEmail, ParsedEmail, parse_email
from intake.api import Categories, Tickets
from intake.domain.commands import CreateTicket
from ticketflow_shared.access.guard import TicketCreator
from ticketflow_shared.events import Channel, Customer

email_router = APIRouter(prefix="/channels", tags=["channels"])
EMAIL_ACTOR = "channel:email"
SUBJECT_LIMIT = 200
BODY_LIMIT = 5_000


@email_router.post(
    "/email",
    status_code=201,
    summary="Take one raw email (message/rfc822) from a mail provider's inbound webhook",
    responses={202: {"description": "Automatic mail (auto-reply, bounce, list): dropped"}},
)
async def receive_email(
    request: Request, response: Response, tickets: Tickets, categories: Categories, _: TicketCreator
) -> dict:
    settings = request.app.state.intake_settings
    if request.headers.get("content-type", "").split(";")[0].strip() != "message/rfc822":
        raise HTTPException(415, "Content-Type must be message/rfc822")
    raw = await _read_limited(request, settings.inbound_email_max_bytes)
    try:
        mail = parse_email(raw)
    except MalformedEmail as exc:
        raise HTTPException(422, str(exc)) from exc
    if mail.loop_reason:
        response.status_code = 202
        return {"dropped": True, "reason": mail.loop_reason}
    command = _new_ticket(mail, settings.inbound_email_category)
    state = request.app.state
    created = await handlers.create_ticket(
        command,
        tickets,
        categories,
        identities=getattr(state, "customer_identities", None),
        duplicates=getattr(state, "duplicates", None),
    )
    joined = created.duplicate is not None
    if created.replayed or joined:
        response.status_code = 200
    answer = {"ticket_id": created.ticket.id, "replayed": created.replayed, "notes": mail.notes}
    return {**answer, "duplicate_of": created.ticket.id} if joined else answer


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"message larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _new_ticket(mail: ParsedEmail, category: str) -> CreateTicket:
    """The same command REST builds; the Message-ID is the idempotency key, so a redelivery
    (any process) lands on the same ticket id, inserted once under its unique `_id`."""
    return CreateTicket(
        channel=Channel.email,
        customer=Customer(email=mail.sender_email, name=mail.sender_name[:200] or None),
        subject=(mail.subject or "(no subject)")[:SUBJECT_LIMIT],
        body=(mail.body or "(empty message)")[:BODY_LIMIT],
        category=category,
        idempotency_key=mail.message_id[:200],
        created_by=EMAIL_ACTOR,
    )
