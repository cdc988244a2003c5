"""A broker connection lost while an email is being handed over must not send it twice."""

import asyncio
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from notify_helpers import created, new_ticket, poll, running_notify

from support import BusProbe, Namespace, broker_cli_reaches, close_connections_named

pytestmark = pytest.mark.integration
# The mail server answers only once the broker CLI has dropped notify (a second or more on a
# busy machine): the client's timeout must outlast that, and the lease the timeout.
SMTP_TIMEOUT_SECONDS = 10.0
LEASE_SECONDS = 11.0


class DroppingMailServer:
    """A real SMTP server that, while it takes the first message, has the broker drop notify."""

    def __init__(self, connection_name: str) -> None:
        self.connection_name = connection_name
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.message_ids.append(message_from_bytes(envelope.content)["Message-ID"])
        if len(self.message_ids) == 1:
            # The mail is in; before notify hears "250", its broker connection goes away.
            close_connections_named(self.connection_name)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_email_accepted_as_the_broker_drops_is_sent_once(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    if not broker_cli_reaches(namespace.servers.amqp_url):
        pytest.skip("drops connections with the CLI of a broker on this machine")
    mail = DroppingMailServer(f"{namespace.queue_prefix}notify")
    controller = Controller(mail, hostname="127.0.0.1", port=free_port())
    controller.start()
    ticket_id, address = new_ticket()
    event = created(ticket_id, address)
    try:
        overrides = {
            "smtp_port": controller.port,
            "send_lease_seconds": LEASE_SECONDS,
            "smtp_timeout": SMTP_TIMEOUT_SECONDS,
        }
        async with running_notify(namespace, **overrides) as notify:
            await bus_probe.publish(event)

            async def delivery() -> dict:
                return (await notify.get(f"/notifications/{event.id}:email")).json()

            sent = await poll(delivery, lambda d: d.get("status") == "sent", timeout=30)
            # The redelivered copy comes after the reconnect; a resend would follow once the
            # first attempt's lease ran out.
            await asyncio.sleep(LEASE_SECONDS + 2)
            final = await delivery()
    finally:
        controller.stop()
    assert mail.message_ids == [f"<{event.id}.{event.subject}@ticketflow.local>"]
    assert (sent["attempts"], final["attempts"], final["abandoned_attempts"]) == (1, 1, 0)
    assert final["possibly_duplicated"] is False
    assert len(bus_probe.of_type("notification.sent.v1", ticket_id)) == 1
