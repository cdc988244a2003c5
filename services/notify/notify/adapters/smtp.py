"""Sends a delivery's email through an SMTP server with aiosmtplib."""

from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from notify.domain.deliveries import OutgoingEmail, ascii_address
from notify.ports import EmailNotSent, EmailUndeliverable
from notify.settings import NotifySettings
from ticketflow_shared.events import utcnow
from ticketflow_shared.pii import without_addresses

# A Message-ID naming event and ticket passes 78 characters; folded, some readers keep the
# fold's space in the id, so lines may run to RFC 5322's hard limit instead.
UNFOLDED_IDS = policy.SMTP.clone(max_line_length=998)
# Every email notify sends is the platform's, so auto-responders should stay silent: RFC 3834's
# header for those that follow it, Microsoft's for Exchange and Outlook.
NO_AUTO_REPLIES = (("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"))


class SmtpSender:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> str:
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            message = build_message(email, settings.mail_from)
            # Written out here, once, so that a message SMTP cannot carry fails as itself.
            raw = message.as_bytes(policy=UNFOLDED_IDS)
        except Exception as exc:  # any header or address the email package cannot write
            reason = f"cannot build the message: {type(exc).__name__}: {exc}"
            raise EmailUndeliverable(without_addresses(reason)) from exc
        try:
            _refused, response = await aiosmtplib.send(
                raw,
                sender=parseaddr(settings.mail_from)[1],
                recipients=[ascii_address(email.recipient)],
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout,
            )
        # What the server says goes into logs and traces: it often quotes the address.
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reasons = without_addresses("; ".join(f"{r.code} {r.message}" for r in exc.recipients))
            if exc.recipients and all(_permanent(r.code) for r in exc.recipients):
                raise EmailUndeliverable(f"recipient refused: {reasons}") from exc
            raise EmailNotSent(f"recipient refused for now: {reasons}") from exc
        except aiosmtplib.SMTPDataError as exc:
            if _permanent(exc.code):
                reason = without_addresses(f"message refused: {exc.code} {exc.message}")
                raise EmailUndeliverable(reason) from exc
            raise EmailNotSent(without_addresses(f"SMTPDataError: {exc}")) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise EmailNotSent(without_addresses(f"{type(exc).__name__}: {exc}")) from exc
        return response


def _permanent(code: int) -> bool:
    """5xx replies are final (RFC 5321 4.2.1); 4xx ones are worth another try."""
    return 500 <= code < 600


def build_message(email: OutgoingEmail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((email.recipient_name or "", ascii_address(email.recipient)))
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = email.message_id
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = " ".join(email.references)
    message["X-Ticketflow-Ticket"] = email.ticket_id
    for name, value in NO_AUTO_REPLIES:
        message[name] = value
    message.set_content(email.body)
    return message
