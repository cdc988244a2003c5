"""Routing's events as envelopes, stamped with the current trace, ready for an outbox."""

from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, Payload

SOURCE = "/ticketflow/routing"


def envelopes(events: list[Payload], subject: str) -> list[Envelope]:
    return [outbox.with_trace(Envelope.wrap(e, source=SOURCE, subject=subject)) for e in events]
