"""Offers across routing processes: an accept racing an expiry in another process (its own
store client) ends the offer exactly once, and a restarted process times out an offer made
before it started."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from offers_harness import OFFER_ENDED, OFFERED, offer_mode, offering_app
from routing_harness import (
    ASSIGNED,
    QUEUED,
    all_published_so_far,
    created_in,
    distinct_by_ticket,
    new_id,
    publish_all,
    put_agent,
)

from credentials import ADMIN
from routing import offers
from routing.adapters.collections import OFFER_OUTCOMES
from routing.offers import OfferEnded
from support import serve_in_process
from ticketflow_shared.testing import FakeClock

pytestmark = pytest.mark.integration
RACES = 4


async def test_accept_racing_expiry_in_another_process_ends_the_offer_once(namespace, bus_probe):
    tickets = [new_id(f"T{n}") for n in range(RACES)]
    first, second = offering_app(namespace), offering_app(namespace)
    assert first.state.runtime.client is not second.state.runtime.client
    async with serve_in_process(first) as http, serve_in_process(second):
        await offer_mode(http, timeout_seconds=600, missed_offer_presence="none")
        await put_agent(http, "ana", skills={"billing": 9}, capacity=RACES)
        await publish_all(namespace, bus_probe, *(created_in("billing", t) for t in tickets))
        made = await bus_probe.wait_for(OFFERED, count=RACES)
        results = []
        for event in made:
            offer = await first.state.stores.offers.get(event.data["offer_id"])
            # The other process's clock reads past the deadline, while this one is in time.
            late = FakeClock(offer.expires_at + timedelta(seconds=1))
            expiring = replace(second.state.stores, clock=late)
            accepting = offers.accept(offer.offer_id, ADMIN, first.state.stores)
            results.append(
                await asyncio.gather(
                    accepting, offers.expire(offer, expiring), return_exceptions=True
                )
            )
        db = first.state.runtime.db
        outcomes = {
            doc["ticket_id"]: doc["outcome"]
            async for doc in db[OFFER_OUTCOMES].find({"ticket_id": {"$in": tickets}})
        }
    await all_published_so_far(bus_probe)
    assert set(outcomes) == set(tickets) and set(outcomes.values()) <= {"accepted", "expired"}
    for accepted, expired in results:
        won_accept = not isinstance(accepted, BaseException)
        assert won_accept != (expired is True), (accepted, expired)
        assert won_accept or isinstance(accepted, OfferEnded)
    ended = distinct_by_ticket(bus_probe.of_type(OFFER_ENDED))
    assert all(len(ids) == 1 for ids in ended.values()) and set(ended) == set(tickets)
    assigned = distinct_by_ticket(bus_probe.of_type(ASSIGNED))
    for ticket_id, outcome in outcomes.items():
        if outcome == "accepted":
            assert len(assigned.get(ticket_id, ())) == 1
        else:  # the only agent let it run out: cooled down, so the ticket waits in the queue
            assert ticket_id not in assigned and bus_probe.of_type(QUEUED, ticket_id)


async def test_a_restarted_process_times_out_the_offer_made_before_it(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(offering_app(namespace)) as http:
        await offer_mode(http, timeout_seconds=2)
        await put_agent(http, "ana", skills={"billing": 9})
        await put_agent(http, "ben", skills={"billing": 5})
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        [offered] = await bus_probe.wait_for(OFFERED, subject=ticket_id)
    assert bus_probe.of_type(OFFER_ENDED, ticket_id) == []
    restarted = offering_app(namespace, offer_poll_seconds=30)  # its first poll arms a timer
    async with serve_in_process(restarted) as http:
        [ended] = await bus_probe.wait_for(OFFER_ENDED, subject=ticket_id, timeout=10)
        assert ended.data["offer_id"] == offered.data["offer_id"]
        assert ended.data["outcome"] == "expired"
        expires_at = offered.data["expires_at"]
        assert ended.data["ended_at"] >= expires_at
        offers_now = await bus_probe.wait_for(OFFERED, subject=ticket_id, count=2)
        assert offers_now[1].data["agent_id"] == "ben"
        assert (await http.get("/agents/ana")).json()["presence"] == "away"
