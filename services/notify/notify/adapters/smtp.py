"""Sends a delivery's email through an SMTP server with aiosmtplib."""

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from notify.domain.deliveries import OutgoingEmail
from notify.ports import EmailNotSent
from notify.settings import NotifySettings
from ticketflow_shared.events import utcnow


class SmtpSender:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> str:
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            _refused, response = await aiosmtplib.send(
                build_message(email, settings.mail_from),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=settings.smtp_timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise EmailNotSent(f"{type(exc).__name__}: {exc}") from exc
        return response


def build_message(email: OutgoingEmail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((email.recipient_name or "", email.recipient))
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = email.message_id
    message["X-Ticketflow-Ticket"] = email.ticket_id
    message.set_content(email.body)
    return message
