"""Store helpers on the real store: a map field replaced key by key reads back as written."""

from collections.abc import AsyncIterator

import pytest

from support import Namespace
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client, replace_map

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(namespace: Namespace) -> AsyncIterator[SerializedDatabase]:
    client = mongo_client(namespace.servers.mongo_url, "store-tests")
    db = SerializedDatabase(client[namespace.database("store")])
    await db.detect()
    yield db
    await client.close()


CHANGES = [
    # Same number of keys, same values in the same order, other keys: what FerretDB 1.24's
    # whole-document $set comparison takes for "unchanged".
    ({"yy": 3}, {"ww": 3}),
    ({"a": 3, "b": 5}, {"c": 3, "d": 5}),
    ({"a": 3, "b": 5}, {"a": 3, "c": 5}),
    ({"a": 3}, {}),
    ({}, {"a": 3}),
    (None, {"a": 3}),
    ({"eu": {"de": 1}}, {"eu": {"fr": 1}}),
]


@pytest.mark.parametrize(("old", "new"), CHANGES)
async def test_a_map_replaced_key_by_key_reads_back_as_the_new_map(db, old, new):
    docs = db["docs"]
    await docs.insert_one({"_id": "A1", "skills": old, "version": 0})

    update = {"$inc": {"version": 1}, **replace_map("skills", old, new)}
    result = await docs.update_one({"_id": "A1", "version": 0}, update)

    assert result.matched_count == 1
    assert await docs.find_one({"_id": "A1"}) == {"_id": "A1", "skills": new, "version": 1}


async def test_a_map_field_that_was_never_written_is_created(db):
    docs = db["docs"]
    await docs.insert_one({"_id": "A2"})

    await docs.update_one({"_id": "A2"}, replace_map("skills", None, {"ww": 3}))

    assert (await docs.find_one({"_id": "A2"}))["skills"] == {"ww": 3}
