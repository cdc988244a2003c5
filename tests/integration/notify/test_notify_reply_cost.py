"""What a reply email costs in store round trips, counted by the process's command listener."""

import asyncio
import logging
from collections import Counter

import pytest
from notify_helpers import (
    assigned,
    created,
    message_added,
    new_ticket,
    running_notify,
    wait_logged,
)

from notify.adapters import DELIVERIES, DELIVERY_ATTEMPTS, TEMPLATES, TICKETS
from support import BusProbe, Namespace
from ticketflow_shared.events import Envelope, Visibility
from ticketflow_shared.metrics import STORE_COMMANDS

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"
NOTIFY_COLLECTIONS = {TICKETS, DELIVERIES, DELIVERY_ATTEMPTS, TEMPLATES}


def notify_commands() -> Counter[tuple[str, str]]:
    return Counter(
        {key: n for key, n in STORE_COMMANDS.counts.items() if key[1] in NOTIFY_COLLECTIONS}
    )


def without_templates(counts: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    return Counter({key: n for key, n in counts.items() if key[1] != TEMPLATES})


async def settled() -> Counter[tuple[str, str]]:
    """The counts once nothing was added for half a second (the outbox's pull comes last)."""
    last = notify_commands()
    while True:
        await asyncio.sleep(0.5)
        now = notify_commands()
        if now == last:
            return now
        last = now


async def cost_of(bus_probe: BusProbe, event: Envelope, sent: int) -> Counter[tuple[str, str]]:
    before = await settled()
    await bus_probe.publish(event)
    if sent:
        await bus_probe.wait_for(SENT, event.subject, count=sent)
    return await settled() - before


async def test_a_reply_costs_what_an_assigned_email_does_and_a_note_costs_nothing(
    namespace: Namespace, bus_probe: BusProbe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="notify.handlers")
    ticket_id, address = new_ticket()
    async with running_notify(namespace):
        await bus_probe.publish(created(ticket_id, address))
        await bus_probe.wait_for(SENT, ticket_id)
        await bus_probe.publish(message_added(ticket_id, "Warming up."))
        await bus_probe.wait_for(SENT, ticket_id, count=2)
        reply = await cost_of(bus_probe, message_added(ticket_id, "Done."), 3)
        given = await cost_of(bus_probe, assigned(ticket_id), 4)
        note = message_added(ticket_id, "psst", visibility=Visibility.internal)
        quiet = await cost_of(bus_probe, note, 0)
        await wait_logged(caplog, note.data["message_id"], "stays inside")

    print(f"store round trips: reply {dict(reply)}, assigned {dict(given)}")
    # Templates are cached for a few seconds, so whether a read falls in the window varies.
    assert reply[("find", TEMPLATES)] <= 1
    assert without_templates(reply) == without_templates(given)
    assert reply[("findAndModify", TICKETS)] == 1  # the thread rides on the ticket's one write
    # The delivery is inserted, marked sent and its outbox emptied: the attempt this process
    # began is known to be unsent, so marking it sent reads nothing first.
    assert (reply[("insert", DELIVERIES)], reply[("update", DELIVERIES)]) == (1, 2)
    assert reply[("find", DELIVERIES)] == 0
    assert quiet.total() == 0
