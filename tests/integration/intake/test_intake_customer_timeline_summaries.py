"""A customer's timeline keeps what each ticket shows beside it: a profile read is the record
and the timeline, two `_id` lookups, and each write of a ticket is on it before its events
go out, a crash in between included."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pymongo import monitoring

from intake.adapters.customer_profiles import CUSTOMER_TIMELINES
from intake.adapters.timelines import SUMMARIES
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration
NEW_TICKET = {
    "channel": "web",
    "customer": {"email": "robin@example.com", "name": "Robin"},
    "subject": "Router blinks red",
    "body": "Since this morning.",
    "category": "general",
    "fields": {},
}


class Commands(monitoring.CommandListener):
    """The commands sent to one database, as (command, collection)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.sent: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if event.database_name == self.database and isinstance(target, str):
            self.sent.append((event.command_name, target))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def settings(namespace: Namespace) -> IntakeSettings:
    return namespace.settings(IntakeSettings, "intake", duplicate_detection=False)


@pytest.fixture
def commands(settings: IntakeSettings) -> Commands:
    listener = Commands(settings.database_name)
    monitoring.register(listener)  # before the app's client exists, so it reports there
    return listener


@pytest.fixture
async def app(settings: IntakeSettings, commands: Commands) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as http:
        yield http


async def counting_from_now(app: FastAPI, commands: Commands) -> None:
    """Once the start sweep's own reads are done, count what is sent from here on (with a
    queue bound, `bus_probe`, so that no failed publish is retried by `_id` meanwhile)."""
    while "outbox-start-sweep" in app.state.runtime.scheduler:
        await asyncio.sleep(0.05)
    commands.sent.clear()


async def test_a_profile_read_shows_each_change_from_two_id_lookups(
    app, client, commands, bus_probe
):
    made = (await client.post("/tickets", json=NEW_TICKET)).json()
    ticket_id, customer_id = made["id"], made["customer"]["customer_id"]
    for visibility, body in (("public", "Unplug it for a minute."), ("internal", "Known fault")):
        posted = await client.post(
            f"/tickets/{ticket_id}/messages", json={"body": body, "visibility": visibility}
        )
        assert posted.status_code == 201, posted.text
    solved = await client.post(f"/tickets/{ticket_id}/resolve", json={"resolution": "reset"})
    assert solved.status_code == 200, solved.text

    await counting_from_now(app, commands)
    profile = (await client.get(f"/customers/{customer_id}")).json()

    assert sorted(commands.sent) == [("find", "customer_profiles"), ("find", CUSTOMER_TIMELINES)]
    [item] = profile["timeline"]["data"]
    assert (item["ticket_id"], item["status"], item["subject"]) == (
        ticket_id,
        "solved",
        "Router blinks red",
    )
    bodies = [m["body"] for m in item["messages"]]
    assert "Unplug it for a minute." in bodies and "Known fault" not in bodies
    assert (profile["name"], profile["email"]) == ("Robin", "robin@example.com")
    stored = await app.state.customers.timelines.collection.find_one({"_id": customer_id})
    assert ticket_id in stored[SUMMARIES]
    for clear in ("Router", "Unplug", "robin@example.com", "Robin"):
        assert clear not in str(stored)


async def test_a_ticket_with_no_summary_kept_is_read_from_the_ticket(
    app, client, commands, bus_probe
):
    made = (await client.post("/tickets", json=NEW_TICKET)).json()
    customer_id = made["customer"]["customer_id"]
    long_reply = {"body": "Step by step: " + "x" * 4_900, "visibility": "public"}
    for _ in range(4):  # past what a summary keeps of messages
        assert (await client.post(f"/tickets/{made['id']}/messages", json=long_reply)).is_success
    older = (await client.post("/tickets", json={**NEW_TICKET, "subject": "Older"})).json()
    # As a ticket filed before summaries were kept: its entry alone.
    timelines = app.state.customers.timelines.collection
    await timelines.update_one({"_id": customer_id}, {"$unset": {f"{SUMMARIES}.{older['id']}": ""}})

    await counting_from_now(app, commands)
    profile = (await client.get(f"/customers/{customer_id}")).json()

    subjects = {i["ticket_id"]: i["subject"] for i in profile["timeline"]["data"]}
    assert subjects == {made["id"]: "Router blinks red", older["id"]: "Older"}
    [long_one] = [i for i in profile["timeline"]["data"] if i["ticket_id"] == made["id"]]
    assert [m["body"] for m in long_one["messages"]][-4:] == [long_reply["body"]] * 4
    # At most one `_id` lookup per ticket shown in full; none for a ticket a lone process on
    # FerretDB knows from its own writes.
    reads = [c for c in commands.sent if c[1] == "tickets"]
    assert set(reads) <= {("find", "tickets")} and len(reads) <= 2


async def test_a_crash_before_the_timeline_is_written_is_made_good_by_the_next_start(
    settings, app, client, bus_probe: BusProbe
):
    made = (await client.post("/tickets", json=NEW_TICKET)).json()
    ticket_id, customer_id = made["id"], made["customer"]["customer_id"]
    timelines = app.state.customers.timelines

    async def crash(*args: object) -> None:
        raise RuntimeError("the process died here")

    timelines.file = crash  # the ticket's write lands; its timeline and events do not
    with pytest.raises(RuntimeError):
        await client.post(f"/tickets/{ticket_id}/resolve", json={"resolution": "reset"})
    stored = await timelines.collection.find_one({"_id": customer_id})
    assert stored[SUMMARIES][ticket_id]["status"] == "new"
    assert not bus_probe.of_type("ticket.resolved.v1", ticket_id)

    async with serve_in_process(create_app(settings)) as restarted:
        (resolved,) = await bus_probe.wait_for("ticket.resolved.v1", ticket_id)
        profile = (await restarted.get(f"/customers/{customer_id}")).json()
    assert resolved.subject == ticket_id
    assert [i["status"] for i in profile["timeline"]["data"]] == ["solved"]
