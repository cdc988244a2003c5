"""A delivery: one event told to one customer by email, sent at most once.

`pending` (inserted before the first send; an attempt holds a short lease) -> `sent` | `failed`
| `undeliverable`; a failed delivery goes back to `pending` when the bus retries it, an
undeliverable one (an address or message no mail server will take) never does. Several copies
of one event (redelivery, a duplicate publish, a crash mid-send) all meet at the same delivery
id, and `next_step` decides which of them sends. An attempt that ended without an outcome (its
process died mid-send) is counted, because the customer may have got its email already.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import idna

from notify.domain.templates import RenderedEmail
from notify.domain.threads import FIRST_IN_THREAD, Threading, tagged_subject
from notify.domain.tickets import TicketView
from ticketflow_shared.events import NotificationSentV1, Payload

CHANNEL = "email"
MAX_ERROR_LENGTH = 1000


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # this attempt failed; the bus tries again
    undeliverable = "undeliverable"  # no attempt can succeed; the reason is in `error`
    skipped = "skipped"  # nobody to send it to (no address); the reason is in `error`


FINAL_STATUSES = frozenset(
    {DeliveryStatus.sent, DeliveryStatus.undeliverable, DeliveryStatus.skipped}
)


class Step(StrEnum):
    """What a copy of an event should do about its delivery."""

    send = "send"  # not sent and nobody is sending: take it
    skip = "skip"  # already sent, or never can be: done
    wait = "wait"  # another attempt holds the lease: let it finish, or let its lease run out


class InvalidTransition(RuntimeError):
    pass


def delivery_id(event_id: str) -> str:
    return f"{event_id}:{CHANNEL}"


def event_of(delivery_id: str) -> str:
    """The event a delivery id was made from."""
    return delivery_id.removesuffix(f":{CHANNEL}")


def recipient_problem(address: str) -> str | None:
    """Why no plain SMTP server could take mail for `address`, or None if one can."""
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return f"{address!r} is not an email address"
    if not local.isascii():
        return "the address's local part is not ASCII, which needs SMTPUTF8 end to end"
    if not domain.isascii():
        try:
            _ascii_domain(domain)
        except idna.IDNAError as exc:
            return f"the domain has no ASCII (IDNA) form: {exc}"
    return None


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form, as SMTP and mail headers carry it."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{_ascii_domain(domain)}"


def _ascii_domain(domain: str) -> str:
    # IDNA 2008 as email-validator (and intake) use it: Python's own codec is IDNA 2003,
    # which would send mail for straße.de to strasse.de.
    return domain if domain.isascii() else idna.encode(domain, uts46=True).decode("ascii")


def display_name(name: str | None) -> str | None:
    """A name fit for a header: control characters (CR, LF, NUL...) dropped, spaces folded."""
    if name is None:
        return None
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in name)
    return " ".join(kept.split()) or None


@dataclass(frozen=True)
class OutgoingEmail:
    recipient: str
    recipient_name: str | None
    subject: str
    body: str
    message_id: str
    ticket_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass
class Delivery:
    id: str
    event_id: str
    event_type: str
    ticket_id: str
    recipient: str
    recipient_name: str | None
    subject: str
    body: str
    message_id: str
    created_at: datetime
    leased_until: datetime
    updated_at: datetime
    # Which template wrote it: the event type it announces, `reply` or `status.<status>`.
    template: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = None
    smtp_response: str | None = None
    abandoned_attempts: int = 0
    # Copied from the ticket when the delivery is made: who may see it in the delivery log.
    departments: frozenset[str] = frozenset()
    created_by: str | None = None
    events: list[Payload] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def for_event(
        cls,
        *,
        event_id: str,
        event_type: str,
        template: str,
        ticket: TicketView,
        email: RenderedEmail,
        message_id: str,
        now: datetime,
        threading: Threading = FIRST_IN_THREAD,
    ) -> "Delivery":
        """The email for one event; its subject always carries the ticket's reference."""
        return cls(
            id=delivery_id(event_id),
            event_id=event_id,
            event_type=event_type,
            template=template,
            ticket_id=ticket.ticket_id,
            recipient=ticket.customer_email,
            recipient_name=display_name(ticket.customer_name),
            subject=tagged_subject(email.subject, ticket.reference),
            body=email.body,
            message_id=message_id,
            in_reply_to=threading.in_reply_to,
            references=threading.references,
            created_at=now,
            leased_until=now,
            updated_at=now,
            departments=ticket.departments,
            created_by=ticket.created_by,
        )

    def __post_init__(self) -> None:
        self.template = self.template or self.event_type  # from before replies: the event type

    @property
    def possibly_duplicated(self) -> bool:
        """Sent, after an attempt whose outcome was lost: the customer may have it twice."""
        return self.status is DeliveryStatus.sent and self.abandoned_attempts > 0

    def next_step(self, now: datetime) -> Step:
        if self.status in FINAL_STATUSES:
            return Step.skip
        if self.leased_until > now:
            return Step.wait
        return Step.send

    def begin_attempt(self, now: datetime, lease: timedelta) -> None:
        step = self.next_step(now)
        if step is not Step.send:
            raise InvalidTransition(f"delivery {self.id} cannot be sent now ({step})")
        if self.status is DeliveryStatus.pending and self.attempts > 0:
            # The previous attempt's lease ran out with no outcome saved: it may have sent.
            self.abandoned_attempts += 1
        self.status = DeliveryStatus.pending
        self.attempts += 1
        self.leased_until = now + lease
        self.updated_at = now

    def skip_abandoned_attempt(self) -> None:
        """The number just begun was taken by a copy that died before saving it: use the next."""
        self._require_attempt("renumber the attempt of")
        self.attempts += 1

    def mark_sent(self, now: datetime, smtp_response: str) -> None:
        self._require_attempt("mark sent")
        self.status = DeliveryStatus.sent
        self.sent_at = now
        self.smtp_response = smtp_response
        self.error = None
        self._end_attempt(now)
        self.events.append(
            NotificationSentV1(
                notification_id=self.id,
                ticket_id=self.ticket_id,
                cause_event_id=self.event_id,
                cause_event_type=self.event_type,
                recipient=self.recipient,
                template=self.template,
                sent_at=now,
            )
        )

    def mark_failed(self, now: datetime, error: str) -> None:
        self._require_attempt("mark failed")
        self.status = DeliveryStatus.failed
        self.error = error[:MAX_ERROR_LENGTH] or "unknown error"
        self._end_attempt(now)

    def refuse(self, now: datetime, reason: str) -> None:
        """Before any attempt: this email can never be delivered, say why."""
        if self.attempts or self.status is not DeliveryStatus.pending:
            raise InvalidTransition(f"delivery {self.id} was already attempted")
        self.status = DeliveryStatus.undeliverable
        self.error = reason[:MAX_ERROR_LENGTH] or "undeliverable"
        self._end_attempt(now)

    def skip(self, now: datetime, reason: str) -> None:
        """Before any attempt: there is nobody to send this email to, say why."""
        self.refuse(now, reason)
        self.status = DeliveryStatus.skipped

    def mark_undeliverable(self, now: datetime, reason: str) -> None:
        """The mail server refused for good (or the message cannot be built): never retried."""
        self._require_attempt("mark undeliverable")
        self.status = DeliveryStatus.undeliverable
        self.error = reason[:MAX_ERROR_LENGTH] or "undeliverable"
        self._end_attempt(now)

    def email(self) -> OutgoingEmail:
        return OutgoingEmail(
            recipient=self.recipient,
            recipient_name=self.recipient_name,
            subject=self.subject,
            body=self.body,
            message_id=self.message_id,
            ticket_id=self.ticket_id,
            in_reply_to=self.in_reply_to,
            references=self.references,
        )

    def _require_attempt(self, action: str) -> None:
        if self.status is not DeliveryStatus.pending or self.attempts == 0:
            raise InvalidTransition(f"cannot {action} delivery {self.id}: no attempt in progress")

    def _end_attempt(self, now: datetime) -> None:
        # Releasing the lease lets the bus's retry of a failure start at once.
        self.leased_until = now
        self.updated_at = now
