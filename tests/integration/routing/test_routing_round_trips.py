"""What routing reads of the store per ticket: a new ticket costs no reads it cannot need."""

from collections import Counter

import pytest
from pymongo import monitoring
from routing_harness import ASSIGNED, QUEUED, created, new_id, put_agent, routing_app

from routing import handlers
from support import serve_in_process
from ticketflow_shared.events import TicketCreatedV1

pytestmark = pytest.mark.integration


class AboutTicket(monitoring.CommandListener):
    """Counts store commands, by (command, collection), whose text names `ticket_id`."""

    def __init__(self) -> None:
        self.ticket_id: str | None = None
        self.counts: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.ticket_id is None or self.ticket_id not in str(event.command):
            return
        name = event.command_name
        self.counts[name, str(event.command.get(name))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMANDS = AboutTicket()
monitoring.register(COMMANDS)  # for the clients made from here on: the apps below


async def counted_new_ticket(app, bus_probe, outcome: str) -> Counter[tuple[str, str]]:
    """The store commands about one new ticket while routing handles its ticket.created,
    once routing has published `outcome` for it."""
    ticket_id = new_id("T")
    envelope = created(ticket_id)
    COMMANDS.ticket_id, COMMANDS.counts = ticket_id, Counter()
    try:
        payload = TicketCreatedV1.model_validate(envelope.data)
        await handlers.ticket_created(payload, app.state.stores, envelope.position())
    finally:
        COMMANDS.ticket_id = None
    await bus_probe.wait_for(outcome, subject=ticket_id)
    return COMMANDS.counts


async def test_a_new_ticket_nobody_can_take_is_queued_without_needless_reads(namespace, bus_probe):
    app = routing_app(namespace, sweep_seconds=3600)
    async with serve_in_process(app):
        counts = await counted_new_ticket(app, bus_probe, QUEUED)

    # Only the look after queueing reads holder and resolution: the first one knows that
    # nobody can hold or resolve a ticket routing has just recorded.
    assert counts["find", "resolutions"] == 1
    assert counts["find", "assignments"] == 1
    # No offer was ever made, so nobody can have declined it.
    assert counts["find", "offer_cooldowns"] == 0
    # One decision, the last look's, and one queue entry.
    assert counts["update", "routing_decisions"] == 1
    assert counts["insert", "queue"] == 1
    # Its SLA clocks start after this and place it in the queue themselves.
    assert counts["find", "sla_tickets"] == 0
    # What remains are the writes' own look-ups on FerretDB (none on MongoDB): announcing
    # the held ticket.queued and emptying the outbox after publishing it.
    assert counts["find", "queue"] <= 2


async def test_a_new_ticket_given_at_once_reads_back_nothing_it_wrote(namespace, bus_probe):
    app = routing_app(namespace, sweep_seconds=3600)
    async with serve_in_process(app) as http:
        await put_agent(http, new_id("ana"))
        counts = await counted_new_ticket(app, bus_probe, ASSIGNED)

    # Never queued: the queue is not looked at, and nothing goes into it.
    assert counts["find", "queue"] == 0
    assert counts["insert", "queue"] == 0
    # The claim is inserted, announced and emptied after publishing without the code reading
    # it back; FerretDB's layer reads it once before each of the two conditional writes.
    assert counts["insert", "assignments"] == 1
    assert counts["update", "assignments"] == 2
    assert counts["find", "assignments"] <= 2
    # The resolve check that makes a claim and a resolve see each other stays.
    assert counts["find", "resolutions"] == 1
    assert counts["update", "routing_decisions"] == 1
