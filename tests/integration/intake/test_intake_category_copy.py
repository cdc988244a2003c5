"""The category rules' per-process copy against the real store: no round trip per ticket
while fresh, this process's writes at once, another process's within the refresh, a name
the copy lacks looked up in the store."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from pymongo import AsyncMongoClient
from test_intake_customer_listing import CommandLog

from intake.adapters.categories import MongoCategoryRepository
from intake.domain.categories import DEFAULT_CATEGORIES, CategoryRule
from support import Namespace

pytestmark = pytest.mark.integration
REFRESH = 0.3


@pytest.fixture
async def stores(
    namespace: Namespace,
) -> AsyncIterator[tuple[MongoCategoryRepository, MongoCategoryRepository, CommandLog]]:
    """Two processes' repositories on one collection, each on its own client; the log counts
    the second one's commands."""
    name = namespace.database("intake")
    log = CommandLog(name)
    first = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    second = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True, event_listeners=[log])
    one = MongoCategoryRepository(first[name]["categories"], refresh_seconds=REFRESH)
    other = MongoCategoryRepository(second[name]["categories"], refresh_seconds=REFRESH)
    await one.seed(DEFAULT_CATEGORIES)
    yield one, other, log
    await first.drop_database(name)
    await first.close()
    await second.close()


async def test_a_fresh_copy_answers_without_the_store(stores):
    _, other, log = stores
    general = await other.get("general")
    log.sent.clear()

    for _ in range(20):
        assert await other.get("general") == general

    assert log.sent == []


async def test_another_process_sees_a_change_within_the_refresh_and_its_own_at_once(stores):
    one, other, _ = stores
    before = await other.get("general")
    assert before is not None
    changed = replace(before, required_fields=("order_id",))

    await one.put(changed)
    assert (await one.get("general")).required_fields == ("order_id",)
    assert (await other.get("general")).required_fields == before.required_fields
    await asyncio.sleep(REFRESH + 0.1)

    assert (await other.get("general")).required_fields == ("order_id",)


async def test_a_category_added_elsewhere_is_found_before_the_refresh(stores):
    one, other, log = stores
    await other.get("general")
    await one.put(CategoryRule(name="returns", required_fields=("order_id",)))
    log.sent.clear()

    found = await other.get("returns")

    assert found is not None and found.required_fields == ("order_id",)
    assert [command for command, _, _ in log.sent] == ["find"]
    assert await other.get("no-such-category") is None
