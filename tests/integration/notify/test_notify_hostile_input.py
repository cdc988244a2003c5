"""What no customer can receive, and templates that would freeze notify, on the real servers."""

import asyncio
import time

import pytest
from notify_helpers import Mailbox, created, new_ticket, poll, running_notify
from pymongo import monitoring

from support import BusProbe, Namespace

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"
NESTED_LOOPS = "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}done"


async def test_an_address_no_mail_server_takes_fails_at_once_without_holding_up_others(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    bad_ticket, _ = new_ticket()
    good_ticket, good_address = new_ticket()
    bad = created(bad_ticket, "ü@exämple.com")
    # A long lease: a delivery left pending would hold its copy for 30 s before a retry.
    async with running_notify(namespace, send_lease_seconds=30.0) as notify:
        started = time.monotonic()
        await bus_probe.publish(bad)
        await bus_probe.publish(created(good_ticket, good_address))
        await bus_probe.wait_for(SENT, good_ticket, timeout=10)

        async def bad_delivery() -> dict:
            return (await notify.get(f"/notifications/{bad.id}:email")).json()

        refused = await poll(bad_delivery, lambda d: d.get("status") == "undeliverable", 10)
        assert time.monotonic() - started < 10
        assert "SMTPUTF8" in refused["error"]
        assert refused["attempts"] == 0
        listed = (await notify.get("/notifications", params={"ticket_id": bad_ticket})).json()
        assert [d["id"] for d in listed["data"]] == [refused["id"]]
        dead = (await notify.get("/dead-letters")).json()
        assert dead["count"] == 0  # recorded as final, not retried into the dead-letter queue
    assert bus_probe.of_type(SENT, bad_ticket) == []
    assert len(await Mailbox(namespace.servers.smtp_api, good_address).messages()) == 1


async def test_a_runaway_template_is_refused_in_bounded_time_while_notify_keeps_answering(
    namespace: Namespace,
) -> None:
    async with running_notify(namespace, template_timeout_seconds=1.0) as notify:
        put = asyncio.create_task(
            notify.put("/templates/ticket.created.v1", json={"subject": "Hi", "body": NESTED_LOOPS})
        )
        await asyncio.sleep(0.2)  # the render is under way in a worker
        began = time.monotonic()
        health = await notify.get("/healthz")
        assert health.status_code == 200
        assert time.monotonic() - began < 0.5  # the event loop is not the one looping

        refused = await asyncio.wait_for(put, timeout=10)
        assert refused.status_code == 422
        assert "longer than 1 s" in refused.json()["detail"][0]["msg"]
        # The worker that was stopped is replaced: the next template renders as usual.
        fine = await notify.put(
            "/templates/ticket.created.v1",
            json={"subject": "Hi {{ ticket.reference }}", "body": "b"},
        )
        assert fine.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{{ 10 ** 100000 }}",
        "{{ 'x' * 10 ** 10 }}",
    ],
    ids=["recursive-macro", "huge-power", "huge-repeat"],
)
async def test_templates_that_raise_while_compiling_or_rendering_are_422s(
    namespace: Namespace, body: str
) -> None:
    async with running_notify(namespace) as notify:
        response = await notify.put(
            "/templates/ticket.created.v1", json={"subject": "Hi", "body": body}
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "body"]
        unchanged = (await notify.get("/templates/ticket.created.v1")).json()
        assert unchanged["updated_at"] is None


class FindsOf(monitoring.CommandListener):
    """The filters of the `find` commands sent to one database."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.filters: list[dict] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database and event.command_name == "find":
            self.filters.append(dict(event.command.get("filter") or {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_listing_by_ticket_reads_by_id(namespace: Namespace, bus_probe: BusProbe) -> None:
    ticket_id, address = new_ticket()
    other_id, other_address = new_ticket()
    finds = FindsOf(namespace.database("notify"))
    monitoring.register(finds)  # seen by clients made from here on: notify's below
    async with running_notify(namespace) as notify:
        event = created(ticket_id, address)
        await bus_probe.publish(event)
        await bus_probe.publish(created(other_id, other_address))
        await bus_probe.wait_for(SENT, ticket_id)
        await bus_probe.wait_for(SENT, other_id)
        finds.filters.clear()
        listed = await notify.get("/notifications", params={"ticket_id": ticket_id})
        assert [d["event_id"] for d in listed.json()["data"]] == [event.id]
        # Each read is a bare `_id` lookup, the only filter FerretDB answers from an index.
        assert finds.filters and all(list(f) == ["_id"] for f in finds.filters), finds.filters
        assert all(not isinstance(f["_id"], dict) for f in finds.filters)
        unknown = await notify.get("/notifications", params={"ticket_id": "TF-none"})
        assert unknown.json() == {"data": [], "count": 0}
        too_long = await notify.get("/notifications", params={"ticket_id": "x" * 500})
        assert too_long.status_code == 422
