"""Several processes on one store: two independent clients stand for two processes of a
service. With store locks on, FerretDB's read-then-write updates stop losing each other."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from pymongo import UpdateOne

from support import Namespace
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client
from ticketflow_shared.store_locks import COLLECTION, LEASE_SECONDS, lock_key

pytestmark = pytest.mark.integration
WRITERS = 40


@pytest.fixture
async def processes(namespace: Namespace) -> AsyncIterator[list[SerializedDatabase]]:
    clients = [mongo_client(namespace.servers.mongo_url, f"locks-{n}") for n in range(2)]
    handles = [
        SerializedDatabase(client[namespace.database("locks")], cross_process=True)
        for client in clients
    ]
    for handle in handles:
        await handle.detect()
    yield handles
    for client in clients:
        await client.close()


async def test_increments_from_two_processes_all_land(processes):
    await processes[0]["docs"].insert_one({"_id": "d", "n": 0})

    async def bump(n: int) -> None:
        await processes[n % 2]["docs"].update_one({"_id": "d"}, {"$inc": {"n": 1}})

    await asyncio.gather(*(bump(n) for n in range(WRITERS)))
    assert (await processes[0]["docs"].find_one({"_id": "d"}))["n"] == WRITERS
    assert await processes[0][COLLECTION].count_documents({}) == 0  # every lock given back


async def test_of_compare_and_sets_from_one_version_exactly_one_wins(processes):
    await processes[0]["docs"].insert_one({"_id": "t", "version": 1, "by": None})

    async def save(n: int) -> int:
        result = await processes[n % 2]["docs"].update_one(
            {"_id": "t", "version": 1}, {"$set": {"version": 2, "by": n}}
        )
        return result.matched_count

    won = await asyncio.gather(*(save(n) for n in range(WRITERS)))
    assert sum(won) == 1
    stored = await processes[1]["docs"].find_one({"_id": "t"})
    assert (stored["version"], stored["by"]) == (2, won.index(1))


async def test_bulk_writes_and_id_lists_take_the_same_locks(processes):
    docs = [processes[n]["docs"] for n in range(2)]
    await docs[0].insert_many([{"_id": f"b{i}", "n": 0} for i in range(5)])
    ids = [f"b{i}" for i in range(5)]

    async def bulk(n: int) -> None:
        await docs[n % 2].bulk_write([UpdateOne({"_id": i}, {"$inc": {"n": 1}}) for i in ids])

    async def many(n: int) -> None:
        await docs[n % 2].update_many({"_id": {"$in": ids}}, {"$inc": {"n": 1}})

    await asyncio.gather(*(bulk(n) for n in range(10)), *(many(n) for n in range(10)))
    assert [d["n"] async for d in docs[0].find({}).sort("_id", 1)] == [20] * 5


async def test_a_lock_waits_for_its_holder_and_a_dead_holders_lock_is_broken(processes):
    first, second = processes
    if first.store_locks is None:
        pytest.skip("MongoDB makes each update atomic: no store locks are taken")
    await first["docs"].insert_one({"_id": "w", "n": 0})
    key = lock_key("docs", "w")

    async with first.store_locks.holding([key]):
        waiting = asyncio.create_task(second["docs"].update_one({"_id": "w"}, {"$inc": {"n": 1}}))
        await asyncio.sleep(0.2)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)

    # A process that died holding the lock a lease ago: the next writer breaks it.
    stale = {"_id": key, "owner": "gone", "at": time.time() - LEASE_SECONDS - 1}
    await first[COLLECTION].insert_one(stale)
    await asyncio.wait_for(second["docs"].update_one({"_id": "w"}, {"$inc": {"n": 1}}), 5)
    assert (await first["docs"].find_one({"_id": "w"}))["n"] == 2
    assert await first[COLLECTION].find_one({"_id": key}) is None


async def test_a_write_cancelled_at_any_point_leaves_no_lock_behind(processes):
    first, second = processes
    if first.store_locks is None:
        pytest.skip("MongoDB makes each update atomic: no store locks are taken")
    await first["docs"].insert_one({"_id": "c", "n": 0})
    for step in range(30):  # cut short after 0, 0.5, 1, ... ms: before, during and after
        bumps = [
            asyncio.create_task(handle["docs"].update_one({"_id": "c"}, {"$inc": {"n": 1}}))
            for handle in processes
        ]
        await asyncio.sleep(step / 2000)
        for bump in bumps:
            bump.cancel()
        await asyncio.gather(*bumps, return_exceptions=True)
    await asyncio.sleep(0.1)  # the shielded give-backs finish
    assert await first[COLLECTION].count_documents({}) == 0
    await asyncio.wait_for(second["docs"].update_one({"_id": "c"}, {"$inc": {"n": 1}}), 2)
