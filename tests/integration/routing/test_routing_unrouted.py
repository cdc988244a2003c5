"""Tickets whose first routing never finished, on the real store: a lone FerretDB process
reads the whole collection only until it has what an earlier process left, then only its
own unfinished tickets by `_id`; elsewhere it asks the store each time."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from routing_harness import T0, new_id

from routing.adapters.tickets import MongoTickets
from routing.domain import RoutingTicket, SkillRequirement
from support import Namespace
from ticketflow_shared.events import Priority
from ticketflow_shared.serialized import SerializedDatabase, lone_on_ferretdb
from ticketflow_shared.store import mongo_client

pytestmark = pytest.mark.integration
LATER = T0 + timedelta(minutes=5)


def ticket(ticket_id: str) -> RoutingTicket:
    return RoutingTicket(
        ticket_id=ticket_id,
        category="billing",
        priority=Priority.normal,
        created_at=T0,
        requirement=SkillRequirement("billing", 1),
    )


@pytest.fixture
async def tickets(namespace: Namespace) -> AsyncIterator[MongoTickets]:
    client = mongo_client(namespace.servers.mongo_url, "routing-tests")
    db = SerializedDatabase(client[namespace.database("routing")])
    await db.detect()
    yield MongoTickets(db["tickets"])
    await client.drop_database(namespace.database("routing"))
    await client.close()


async def left_unrouted(tickets: MongoTickets, ticket_id: str) -> None:
    """As another process leaves a ticket: recorded, never routed (not through `tickets`)."""
    other = MongoTickets(tickets.collection)
    assert await other.add(ticket(ticket_id), T0)


async def test_unfinished_tickets_are_found_without_reading_every_ticket_once_caught_up(tickets):
    predecessors = [new_id("T-left") for _ in range(3)]
    for ticket_id in predecessors:
        await left_unrouted(tickets, ticket_id)

    # Caught up over two reads of at most two, each batch routed as the stale pass does: an
    # earlier process's leftovers are all found.
    found_before: list[str] = []
    for _ in range(2):
        for stale in await tickets.unrouted(LATER, limit=2):
            found_before.append(stale.ticket_id)
            await tickets.mark_routed(stale.ticket_id)
    assert sorted(found_before) == sorted(predecessors)

    own, finished = new_id("T-own"), new_id("T-done")
    assert await tickets.add(ticket(own), T0)
    assert await tickets.add(ticket(finished), T0)
    await tickets.mark_routed(finished)
    stray = new_id("T-stray")
    await left_unrouted(tickets, stray)  # written beside this process, against the rules

    found = {t.ticket_id for t in await tickets.unrouted(LATER, limit=10)}
    if lone_on_ferretdb(tickets.collection):
        assert found == {own}  # from its own notes: no read of the whole collection
    else:
        assert found == {own, stray}  # the store's index answers
    assert await tickets.unrouted(T0, limit=10) == []  # received at T0: not older than it
