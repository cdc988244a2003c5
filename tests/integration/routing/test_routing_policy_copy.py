"""Routing reads queue policies, routing rules, department settings and SLA policies from a
copy: own writes show at once, others' later."""

from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from routing.adapters.departments import MongoDepartments
from routing.adapters.policies import MongoPolicies
from routing.adapters.rules import MongoRules
from routing.adapters.sla import SlaStore
from routing.domain import DepartmentSettings, RoutingRule, SkillRequirement
from routing.domain.offers import OfferMode, OfferSettings
from routing.domain.policies import QueuePolicy
from routing.domain.sla import SlaPolicy
from ticketflow_shared.events import Priority, SlaTarget

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def policy(department: str, skill: str, category: str | None = None) -> QueuePolicy:
    return QueuePolicy(
        department=department, category=category, required=(SkillRequirement(skill, 3),)
    )


@pytest.fixture
async def database(namespace):
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url, tz_aware=True)
    yield client[namespace.database("routing")]
    await client.close()


@pytest.fixture
async def collection(database):
    return database["queue_policies"]


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
    reader.copy.refresh_seconds = 0
    seen = await reader.for_ticket("billing", "refund")
    assert seen is not None and seen.version == 1


async def test_rules_and_departments_in_force_come_from_the_copy(database):
    reader = MongoRules(database["routing_rules"], refresh_seconds=3600)
    writer = MongoRules(database["routing_rules"])
    readers_departments = MongoDepartments(database["departments"], refresh_seconds=3600)
    departments = MongoDepartments(database["departments"])
    assert await reader.in_force("billing") is None
    assert await readers_departments.in_force("billing") is None

    await writer.put(RoutingRule(category="billing", skill="payments", min_level=4), NOW)
    offers = DepartmentSettings.of("billing", [], OfferSettings(mode=OfferMode.offer))
    await departments.put(offers, NOW)

    # Another process's writes: the copy until it is re-read, the store for the API.
    assert await reader.in_force("billing") is None
    assert (await reader.get("billing")).skill == "payments"
    assert await readers_departments.in_force("billing") is None
    assert (await readers_departments.get("billing")).offer.mode is OfferMode.offer
    reader.copy.refresh_seconds = readers_departments.copy.refresh_seconds = 0
    assert (await reader.in_force("billing")).min_level == 4
    assert (await readers_departments.in_force("billing")).offer.mode is OfferMode.offer
    # Its own writes: at once.
    assert (await writer.in_force("billing")).skill == "payments"
    await writer.put(RoutingRule(category="billing", skill="refunds", min_level=2), NOW)
    assert (await writer.in_force("billing")).skill == "refunds"


async def test_sla_policies_in_force_come_from_the_copy(database):
    tickets, policies = database["sla_tickets"], database["sla_policies"]
    reader = SlaStore(tickets, policies, refresh_seconds=3600)
    writer = SlaStore(tickets, policies)
    assert await reader.policies_in_force() == []
    fast = SlaPolicy(name="fast", targets={Priority.high: {SlaTarget.first_response: 60.0}})

    await writer.put_policy(fast)

    assert await reader.policies_in_force() == []
    assert [p.name for p in await reader.policy_list()] == ["fast"]
    assert [p.name for p in await writer.policies_in_force()] == ["fast"]
    assert await writer.delete_policy("fast")
    assert await writer.policies_in_force() == []
    reader.policy_copy.refresh_seconds = 0
    assert await reader.policies_in_force() == []
