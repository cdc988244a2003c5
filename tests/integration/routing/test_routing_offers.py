"""Offers on the real store and broker: accepted, declined to the next candidate, timed out
to the next candidate with the agent set away; never accepted by crash recovery."""

from datetime import timedelta

import pytest
from offers_harness import OFFER_ENDED, OFFERED, as_agent, offer_mode, offering_app
from routing_harness import (
    AGENT_UPDATED,
    ASSIGNED,
    all_published_so_far,
    created_in,
    new_id,
    publish_all,
    put_agent,
    resolved,
)

from credentials import headers
from routing import assigning
from support import serve_in_process

pytestmark = pytest.mark.integration


async def test_an_offer_waits_for_its_agent_who_accepts_it(namespace, bus_probe):
    ticket_id = new_id("T")
    app = offering_app(namespace)
    async with serve_in_process(app) as http:
        await offer_mode(http, timeout_seconds=60)
        department = (await http.get("/departments/billing")).json()["offer"]
        assert department["mode"] == "offer" and department["missed_offer_presence"] == "away"
        await put_agent(http, "ana", skills={"billing": 9}, capacity=1)
        await put_agent(http, "ben", skills={"billing": 5})
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        [offered] = await bus_probe.wait_for(OFFERED, subject=ticket_id)
        offer_id = offered.data["offer_id"]
        assert offered.data["agent_id"] == "ana"

        mine = await http.get("/offers", params={"agent_id": "ana"}, headers=as_agent("ana"))
        assert [o["offer_id"] for o in mine.json()["data"]] == [offer_id]
        assert (await http.get("/offers", headers=as_agent("ben"))).json()["count"] == 0
        listed = await http.get("/agents/ana/offers", headers=as_agent("ana"))
        assert listed.json()["data"][0]["status"] is None
        # The offer holds ana's one slot; the crash recovery never accepts it.
        assert (await http.get("/agents/ana")).json()["free_slots"] == 0
        stores = app.state.stores
        assert await assigning.announce_stale(stores, timedelta(0), 10) >= 1
        url = f"/offers/{offer_id}/accept"
        assert (await http.post(url, headers=as_agent("ben"))).status_code == 404
        viewer = headers("viewer", departments=("billing",), subject="vic")
        assert (await http.post(url, headers=viewer)).status_code == 403

        accepted = await http.post(url, headers=as_agent("ana"))

        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        again = await http.post(url, headers=as_agent("ana"))
        assert again.status_code == 409 and "was accepted" in again.json()["detail"]
        state = (await http.get(f"/tickets/{ticket_id}")).json()
        assert (state["status"], state["agent_id"]) == ("open", "ana")
        assert (await http.get("/offers")).json()["count"] == 0
    await all_published_so_far(bus_probe)
    [assigned] = bus_probe.of_type(ASSIGNED, ticket_id)
    [ended] = bus_probe.of_type(OFFER_ENDED, ticket_id)
    assert assigned.data["agent_id"] == "ana" and ended.data["outcome"] == "accepted"
    assert offered.sequence < assigned.sequence < ended.sequence


async def test_a_declined_offer_goes_to_the_next_candidate(namespace, bus_probe):
    ticket_id = new_id("T")
    app = offering_app(namespace)
    async with serve_in_process(app) as http:
        await offer_mode(http, timeout_seconds=60, decline_cooldown_seconds=600)
        await put_agent(http, "ana", skills={"billing": 9})
        await put_agent(http, "ben", skills={"billing": 5})
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        [first] = await bus_probe.wait_for(OFFERED, subject=ticket_id)
        assert first.data["agent_id"] == "ana"

        declined = await http.post(
            f"/offers/{first.data['offer_id']}/decline",
            json={"reason": "on a call"},
            headers=as_agent("ana"),
        )

        assert declined.status_code == 200 and declined.json()["status"] == "declined"
        offers = await bus_probe.wait_for(OFFERED, subject=ticket_id, count=2)
        second = offers[1]
        assert second.data["agent_id"] == "ben"
        stores = app.state.stores
        assert await stores.offers.declined_recently(ticket_id, stores.now()) == {"ana"}
        lead = headers("supervisor", departments=("billing",), subject="lead")
        accepted = await http.post(f"/offers/{second.data['offer_id']}/accept", headers=lead)
        assert accepted.status_code == 200
        assert (await http.get("/agents/ana")).json()["active_tickets"] == []
        assert (await http.get("/agents/ben")).json()["active_tickets"] == [ticket_id]
    await all_published_so_far(bus_probe)
    outcomes = [e.data["outcome"] for e in bus_probe.of_type(OFFER_ENDED, ticket_id)]
    assert outcomes == ["declined", "accepted"]
    assert [e.data["agent_id"] for e in bus_probe.of_type(ASSIGNED, ticket_id)] == ["ben"]


async def test_an_unanswered_offer_times_out_to_the_next_agent_and_sets_the_first_away(
    namespace, bus_probe
):
    ticket_id = new_id("T")
    app = offering_app(namespace)
    async with serve_in_process(app) as http:
        await offer_mode(http, timeout_seconds=1, missed_offer_reason="missed offer")
        await put_agent(http, "ana", skills={"billing": 9})
        await put_agent(http, "ben", skills={"billing": 5})
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        [first] = await bus_probe.wait_for(OFFERED, subject=ticket_id)

        offers = await bus_probe.wait_for(OFFERED, subject=ticket_id, count=2, timeout=10)

        assert [o.data["agent_id"] for o in offers] == ["ana", "ben"]
        [ended] = bus_probe.of_type(OFFER_ENDED, ticket_id)
        assert (ended.data["outcome"], ended.data["agent_id"]) == ("expired", "ana")
        late = await http.post(f"/offers/{first.data['offer_id']}/accept", headers=as_agent("ana"))
        assert late.status_code == 409 and "was expired" in late.json()["detail"]
        assert (await http.get("/agents/ana")).json()["presence"] == "away"
    away = [e for e in bus_probe.of_type(AGENT_UPDATED, "ana") if e.data["presence"] == "away"]
    assert [e.data["presence_reason"] for e in away] == ["missed offer"]


async def test_a_ticket_resolved_while_offered_withdraws_the_offer(namespace, bus_probe):
    ticket_id = new_id("T")
    async with serve_in_process(offering_app(namespace)) as http:
        await offer_mode(http, timeout_seconds=60)
        await put_agent(http, "ana", skills={"billing": 9}, capacity=1)
        await publish_all(namespace, bus_probe, created_in("billing", ticket_id))
        [offered] = await bus_probe.wait_for(OFFERED, subject=ticket_id)

        # After the created event's sequence, as intake would publish it.
        resolve = resolved(ticket_id).in_sequence(2)
        await publish_all(namespace, bus_probe, resolve)

        [ended] = await bus_probe.wait_for(OFFER_ENDED, subject=ticket_id)
        assert (ended.data["outcome"], ended.data["offer_id"]) == (
            "withdrawn",
            offered.data["offer_id"],
        )
        assert (await http.get("/agents/ana")).json()["free_slots"] == 1
        url = f"/offers/{offered.data['offer_id']}/accept"
        late = await http.post(url, headers=as_agent("ana"))
        assert late.status_code == 409 and "was withdrawn" in late.json()["detail"]
    await all_published_so_far(bus_probe)
    assert bus_probe.of_type(ASSIGNED, ticket_id) == []
