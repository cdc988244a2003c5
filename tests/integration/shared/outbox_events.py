"""Events the outbox tests store and publish."""

from ticketflow_shared.events import Envelope, TicketResolvedV1, utcnow


def resolved(ticket_id: str, resolution: str) -> Envelope:
    payload = TicketResolvedV1(ticket_id=ticket_id, resolution=resolution, resolved_at=utcnow())
    return Envelope.wrap(payload, source="/test", subject=ticket_id)
