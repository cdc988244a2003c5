"""The filter matcher that checks conditions after a lookup by `_id` answers as the store
itself does: each filter is asked of the matcher and of the real server, over one document."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from support import Namespace
from ticketflow_shared.matching import matches, projected
from ticketflow_shared.serialized import SerializedDatabase

pytestmark = pytest.mark.integration

DOC = {
    "_id": "T1",
    "status": "queued",
    "version": 3,
    "applied_events": ["e1", "e2"],
    "skills": {"billing": 7},
    "outbox": [],
    "flag": True,
    "at": datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC),
    "streams": {"intake": {"sequence": 4}},
}
AT_WITH_MICROSECONDS = datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
FILTERS = [
    {"version": 3},
    {"version": 4},
    {"applied_events": {"$ne": "e1"}},
    {"applied_events": {"$ne": "e9"}},
    {"applied_events": "e2"},
    {"applied_events": ["e1", "e2"]},
    {"applied_events": ["e2", "e1"]},
    {"status": {"$in": ["new", "queued"]}},
    {"status": {"$nin": ["new", "queued"]}},
    {"skills.billing": {"$gte": 7}},
    {"skills.billing": {"$gt": 7}},
    {"skills.technical": {"$gte": 1}},
    {"outbox": []},
    {"missing": None},
    {"missing": {"$exists": False}},
    {"status": {"$exists": True}},
    {"version": {"$gt": "2"}},
    {"flag": 1},
    {"flag": True},
    {"at": {"$lt": datetime(2027, 1, 1, tzinfo=UTC)}},
    {"version": 3, "status": "new"},
    {"at": {"$lt": AT_WITH_MICROSECONDS}},
    {"at": {"$gte": AT_WITH_MICROSECONDS}},
    {"at": AT_WITH_MICROSECONDS},
    {"version": {"$not": {"$gte": 3}}},
    {"version": {"$not": {"$gte": 4}}},
    {"missing": {"$not": {"$gte": 1}}},
    {"applied_events": {"$not": {"$in": ["e2"]}}},
    {"version": {"$not": {"$gt": 1, "$lt": 3}}},
    {"streams.intake.sequence": {"$not": {"$gte": 5}}},
    {"streams.intake.sequence": {"$not": {"$gte": 4}}},
    {"streams.routing.sequence": {"$not": {"$gte": 1}}},
    {"streams.routing.sequence": {"$lt": 1}},
]

PROJECTIONS = [
    {"_id": 1},
    {"_id": 0},
    {"status": 1},
    {"status": 1, "_id": 0},
    {"status": True, "skills": 1},
    {"outbox": 0},
    {"outbox": 0, "streams": False},
    {"outbox": 0, "_id": 0},
    {"missing": 1},
    {},
    ["status", "version"],
]


@pytest.fixture
async def stored(namespace: Namespace) -> AsyncIterator[AsyncCollection]:
    """DOC in a collection of the real server, queried without the workaround layer."""
    name = namespace.database("matching")
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    collection = client[name]["docs"]
    await collection.insert_one(DOC)
    yield collection
    await client.drop_database(name)
    await client.close()


async def test_the_matcher_answers_every_filter_as_the_server_does(stored: AsyncCollection):
    server = [await stored.find_one({"_id": "T1", **query}) is not None for query in FILTERS]
    ours = [matches(DOC, query) for query in FILTERS]

    assert list(zip(FILTERS, ours, strict=True)) == list(zip(FILTERS, server, strict=True))


async def test_a_find_answered_from_the_document_read_matches_the_servers(stored):
    server = [await stored.find_one({"_id": "T1"}, projection) for projection in PROJECTIONS]
    ours = [projected(DOC, projection) for projection in PROJECTIONS]

    assert list(zip(PROJECTIONS, ours, strict=True)) == list(zip(PROJECTIONS, server, strict=True))
    assert projected(DOC, {"skills.billing": 1}) is None  # left to the server


UPSERTS = [
    ("T1", {"version": 3}),
    ("T1", {"version": 4}),
    ("T1", {"streams.intake.sequence": {"$not": {"$gte": 5}}}),
    ("T1", {"streams.intake.sequence": {"$not": {"$gte": 4}}}),
    ("T1", {"applied_events": {"$ne": "e1"}}),
    ("T2", {"streams.intake.sequence": {"$not": {"$gte": 1}}}),
    ("T3", {"missing": {"$exists": False}}),
    ("T4", {"status": "new"}),
]


async def upsert_outcome(collection, doc_id: str, conditions: dict) -> object:
    """What a guarded upsert answers, and the document it leaves."""
    update = {"$set": {"touched": True}, "$inc": {"n": 1}}
    try:
        result = await collection.update_one({"_id": doc_id, **conditions}, update, upsert=True)
        answer: object = (result.matched_count, result.upserted_id)
    except DuplicateKeyError as error:
        answer = ("duplicate key", error.code)
    return answer, await collection.find_one({"_id": doc_id})


@pytest.mark.parametrize(("doc_id", "conditions"), UPSERTS)
async def test_a_guarded_upsert_through_the_layer_answers_as_the_server_does(
    namespace: Namespace, doc_id, conditions
):
    name = namespace.database("upserts")
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    layered = SerializedDatabase(client[name])
    await layered.detect()
    outcomes = []
    for collection in (client[name]["plain"], layered["layered"]):
        await collection.insert_one(DOC)
        outcomes.append(await upsert_outcome(collection, doc_id, conditions))
    await client.drop_database(name)
    await client.close()

    assert outcomes[0] == outcomes[1]
