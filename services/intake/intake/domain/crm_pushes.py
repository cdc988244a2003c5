"""A CRM's pushes, each taken once by its `event_id`: a redelivery answers what the first
made and writes nothing, and the same id with another body is refused."""

from dataclasses import dataclass

from intake.domain.errors import IntakeError
from ticketflow_shared.errors import Conflict


class CrmEventReused(IntakeError, Conflict):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"event_id {event_id!r} was already taken with a different body")
        self.event_id = event_id


@dataclass(frozen=True)
class CrmPush:
    key: str
    fingerprint: str
    customer_id: str | None = None  # set once the push was taken to the end
    ticket_id: str | None = None

    @property
    def finished(self) -> bool:
        return self.customer_id is not None


def push_key(system: str, event_id: str) -> str:
    return f"crm:{system.lower()}:{event_id}"[:250]


def earlier_push(stored: CrmPush | None, push: CrmPush, event_id: str) -> CrmPush | None:
    """The finished push this one repeats, to answer again; None to take it (the first
    delivery, or a retry of one that did not finish). CrmEventReused for another body."""
    if stored is None:
        return None
    if stored.fingerprint != push.fingerprint:
        raise CrmEventReused(event_id)
    return stored if stored.finished else None
