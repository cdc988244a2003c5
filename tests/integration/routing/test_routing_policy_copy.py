"""Routing reads queue policies from a copy: own writes show at once, others' later."""

from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from routing.adapters.policies import MongoPolicies
from routing.domain import SkillRequirement
from routing.domain.policies import QueuePolicy

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def policy(department: str, skill: str, category: str | None = None) -> QueuePolicy:
    return QueuePolicy(
        department=department, category=category, required=(SkillRequirement(skill, 3),)
    )


@pytest.fixture
async def collection(namespace):
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    yield client[namespace.database("routing")]["queue_policies"]
    await client.close()


async def test_own_writes_show_at_once(collection):
    policies = MongoPolicies(collection, refresh_seconds=3600)
    assert await policies.for_ticket("billing", "refund") is None

    await policies.put(policy("billing", "payments"), NOW)
    await policies.put(policy("billing", "refunds", category="refund"), NOW)

    chosen = await policies.for_ticket("billing", "refund")
    assert chosen is not None and chosen.required[0].skill == "refunds"
    fallback = await policies.for_ticket("billing", "invoice")
    assert fallback is not None and fallback.required[0].skill == "payments"
    await policies.delete("billing/refund", NOW)
    after = await policies.for_ticket("billing", "refund")
    assert after is not None and after.required[0].skill == "payments"


async def test_another_process_write_shows_after_the_interval(collection):
    reader = MongoPolicies(collection, refresh_seconds=3600)
    writer = MongoPolicies(collection)
    assert await reader.for_ticket("billing", "refund") is None

    await writer.put(policy("billing", "payments"), NOW)

    assert await reader.for_ticket("billing", "refund") is None  # still the copy
    reader.refresh_seconds = 0
    seen = await reader.for_ticket("billing", "refund")
    assert seen is not None and seen.version == 1
