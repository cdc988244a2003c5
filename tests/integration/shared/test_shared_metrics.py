"""GET /metrics counts every command a service sends to the real store, and its CPU time."""

import uuid
from collections import Counter

import pytest
from fastapi import APIRouter, Request
from prometheus_client.parser import text_string_to_metric_families

from support import Namespace, serve_in_process
from ticketflow_shared.http import service_app
from ticketflow_shared.metrics import STORE_COMMANDS, StoreCommandsCollector
from ticketflow_shared.runtime import Runtime
from ticketflow_shared.settings import ServiceSettings
from ticketflow_shared.store import mongo_client, ping

pytestmark = pytest.mark.integration

REQUESTS = 20


def probe_router(collection: str) -> APIRouter:
    router = APIRouter()

    @router.post("/probe")
    async def probe(request: Request) -> dict[str, bool]:
        """Exactly two store commands: one insert, one `_id` find."""
        db = request.app.state.runtime.db
        doc_id = uuid.uuid4().hex
        await db[collection].insert_one({"_id": doc_id, "n": 1})
        return {"found": await db[collection].find_one({"_id": doc_id}) is not None}

    return router


def scrape(text: str) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Store command counts by (command, collection), their seconds (under "seconds", …), and
    every unlabelled sample by name."""
    commands: dict[tuple[str, str], float] = {}
    plain: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ticketflow_store_commands_total":
                commands[sample.labels["command"], sample.labels["collection"]] = sample.value
            elif sample.name == "ticketflow_store_command_seconds_total":
                plain[f"seconds {sample.labels['command']} {sample.labels['collection']}"] = (
                    sample.value
                )
            elif not sample.labels:
                plain[sample.name] = sample.value
    return commands, plain


async def test_metrics_count_each_store_command_by_name_and_collection(namespace: Namespace):
    collection = f"probe_{uuid.uuid4().hex[:8]}"
    runtime = Runtime(namespace.settings(ServiceSettings, "metrics"), indexes={})
    app = service_app(runtime, title="probe", description="", routers=[probe_router(collection)])

    async with serve_in_process(app) as http:
        before, before_plain = scrape((await http.get("/metrics")).text)
        for _ in range(REQUESTS):
            assert (await http.post("/probe")).json() == {"found": True}
        response = await http.get("/metrics")
        after, after_plain = scrape(response.text)

    assert response.headers["content-type"].startswith("text/plain")
    assert before.get(("insert", collection), 0) == 0
    assert after[("insert", collection)] == REQUESTS
    assert after[("find", collection)] == REQUESTS
    ours = {key: value for key, value in after.items() if key[1] == collection}
    assert sum(ours.values()) == 2 * REQUESTS  # nothing else was sent for this collection
    assert after_plain[f"seconds insert {collection}"] > 0
    assert after_plain[f"seconds find {collection}"] > 0
    assert after_plain["process_cpu_seconds_total"] > before_plain["process_cpu_seconds_total"]
    assert "ticketflow_child_processes_cpu_seconds_total" in after_plain


def layer_counts(text: str) -> dict[tuple[str, str, str], float]:
    """The store layer's counters by (family, command, collection)."""
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("ticketflow_store_layer_"):
                key = sample.name, sample.labels["command"], sample.labels["collection"]
                found[key] = sample.value
    return found


async def test_the_store_layers_own_commands_and_answers_are_counted_apart(namespace):
    collection = f"probe_{uuid.uuid4().hex[:8]}"
    runtime = Runtime(namespace.settings(ServiceSettings, "metrics"), indexes={})
    app = service_app(runtime, title="probe", description="", routers=[])

    async with serve_in_process(app) as http:
        db = runtime.db
        await db[collection].insert_one({"_id": "a", "version": 1})
        hit = await db[collection].update_one({"_id": "a", "version": 1}, {"$set": {"version": 2}})
        miss = await db[collection].update_one({"_id": "a", "version": 1}, {"$set": {"x": 1}})
        found = await db[collection].find_one({"_id": "a", "version": 2})
        commands, _ = scrape((await http.get("/metrics")).text)
        layer = layer_counts((await http.get("/metrics")).text)

    assert (hit.modified_count, miss.matched_count, found["version"]) == (1, 0, 2)
    added = layer.get(("ticketflow_store_layer_commands_total", "find", collection), 0)
    answered = layer.get(("ticketflow_store_layer_answered_total", "update", collection), 0)
    sent = commands.get(("update", collection), 0), commands.get(("find", collection), 0)
    if db.serialize:
        # FerretDB: each conditional update is read first by `_id` (the layer's find), the
        # miss is answered from that read, and the conditional find is the code's own.
        assert (added, answered, sent) == (2, 1, (1, 3))
    else:
        assert (added, answered, sent) == (0, 0, (2, 1))
    # Either way the code sent two updates and one find.
    assert sum(sent) - added + answered == 3


async def test_commands_are_counted_by_where_in_the_code_they_come_from_when_asked(
    namespace: Namespace,
):
    before, STORE_COMMANDS.callsites = STORE_COMMANDS.callsites, Counter()
    client = mongo_client(namespace.servers.mongo_url, "callsites")
    try:
        database = client[namespace.database("callsites")]
        assert await ping(database)
        assert await ping(database)
        counted = dict(STORE_COMMANDS.callsites)
        families = {f.name: f for f in StoreCommandsCollector(STORE_COMMANDS).collect()}
    finally:
        STORE_COMMANDS.callsites = before
        await client.close()
    sites = [where for (command, _, where), n in counted.items() if command == "ping" and n == 2]
    assert len(sites) == 1 and sites[0].startswith("store.py:") and ":ping" in sites[0]
    samples = families["ticketflow_store_command_callsites"].samples
    assert any(s.labels["callsite"] == sites[0] and s.value == 2 for s in samples)
