"""An SMTP listener inside the intake process, for an MTA relaying support mail: each DATA
goes through the webhook's path (EmailInbox), and its reply code tells the MTA what to do."""

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session
from pymongo.errors import PyMongoError

from intake.adapters.email_parser import MalformedEmail, UnusableSender
from intake.email_inbox import Dropped, EmailInbox
from intake.settings import IntakeSettings
from ticketflow_shared.errors import Refusal
from ticketflow_shared.runtime import Runtime

log = logging.getLogger(__name__)
# Longer than a store failover, well inside an MTA's DATA timeout (RFC 5321: 10 minutes).
DATA_DEADLINE_SECONDS = 60.0


class InboxHandler:
    """aiosmtpd's handler: 250 for mail taken (a ticket, a thread message, or dropped as
    automatic), 5xx for mail refused (the MTA bounces it), 451 when the store is away (the
    MTA keeps it and retries; the Message-ID makes the retry land on the same ticket)."""

    def __init__(self, inbox: EmailInbox, deadline: float = DATA_DEADLINE_SECONDS) -> None:
        self.inbox = inbox
        self.deadline = deadline

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            outcome = await asyncio.wait_for(self.inbox.take(raw), self.deadline)
        except UnusableSender as exc:
            return f"550 5.1.7 {_one_line(str(exc))}"
        except MalformedEmail as exc:
            return f"550 5.6.0 {_one_line(str(exc))}"
        except Refusal as exc:
            return f"550 5.7.1 {_one_line(str(exc))}"
        except (PyMongoError, TimeoutError) as exc:
            log.warning("SMTP mail deferred, store unavailable: %s", type(exc).__name__)
            return "451 4.3.0 ticket store unavailable, try again later"
        except Exception:  # a fault of ours: the MTA keeps the mail and retries
            log.exception("SMTP mail deferred after an unexpected error")
            return "451 4.3.0 temporary failure, try again later"
        if isinstance(outcome, Dropped):
            return f"250 2.0.0 dropped: {_one_line(outcome.reason)}"
        kind = "threaded" if outcome.threaded else "ticket"
        again = " (already taken)" if outcome.replayed else ""
        return f"250 2.0.0 {kind} {outcome.ticket.id}{again}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


class SmtpListener:
    """Started and stopped with the app (off when `intake_smtp_port` is 0)."""

    def __init__(self, settings: IntakeSettings, inbox: EmailInbox) -> None:
        self.settings = settings
        self.handler = InboxHandler(inbox)
        self.server: asyncio.Server | None = None

    async def start(self, _: Runtime | None = None) -> None:
        settings = self.settings
        if not settings.intake_smtp_port:
            return
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            self._protocol, host=settings.intake_smtp_host, port=settings.intake_smtp_port
        )
        log.info("SMTP listener on %s:%s", settings.intake_smtp_host, settings.intake_smtp_port)

    def _protocol(self) -> SMTP:
        return SMTP(
            self.handler,
            # Advertised as SIZE in EHLO; a bigger message is refused 552 before its data.
            data_size_limit=self.settings.inbound_email_max_bytes,
            enable_SMTPUTF8=True,
            hostname=self.settings.message_id_domain,
            ident="ticketflow intake",
        )

    async def stop(self, _: Runtime | None = None) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
