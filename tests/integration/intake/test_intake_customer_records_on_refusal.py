"""A ticket refused or failing before it is stored leaves no customer record behind: a new
customer's record is made once triage is done, with the ticket."""

import asyncio
from dataclasses import replace

import pytest
from fastapi import FastAPI
from intake_apps import intake_app
from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect

from intake.adapters.customer_identities import CUSTOMER_IDENTITIES
from intake.adapters.customer_profiles import CUSTOMER_PROFILES
from intake.domain.triage_config import TriageConfig
from support import Namespace, serve_in_process

pytestmark = pytest.mark.integration

RETIRED = "retired"  # a category the channels fall back to, never created or since deleted


def untriaged(email: str) -> dict:
    return {
        "channel": "web",
        "customer": {"email": email},
        "subject": "Charged twice",
        "body": "Order 42 was charged twice.",
    }


def chat(event_id: str, user: str) -> dict:
    return {
        "event_id": event_id,
        "conversation_id": f"conv-{event_id}",
        "workspace": "acme",
        "user": {"id": user, "name": "Pat", "email": f"{user.lower()}@example.com"},
        "text": "My card was charged twice",
        "sent_at": "2026-12-02T10:00:00Z",
    }


async def stored_customers(namespace: Namespace) -> tuple[int, int]:
    """How many customer records and identities the store holds."""
    client: AsyncMongoClient = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        db = client[namespace.database("intake")]
        return (
            await db[CUSTOMER_PROFILES].count_documents({}),
            await db[CUSTOMER_IDENTITIES].count_documents({}),
        )
    finally:
        await client.close()


async def test_a_ticket_refused_by_its_fallback_category_makes_no_customer(
    namespace: Namespace,
) -> None:
    app = intake_app(namespace, triage_default_category=RETIRED, chat_category=RETIRED)
    async with serve_in_process(app) as client:
        refused = await client.post("/tickets", json=untriaged("pat@example.com"))
        assert refused.status_code == 422, refused.text
        keyed = await client.post(
            "/tickets", json=untriaged("kim@example.com"), headers={"Idempotency-Key": "k-1"}
        )
        assert keyed.status_code == 422, keyed.text
        chatted = await client.post("/channels/chat", json=chat("e-1", "U-7"))
        assert chatted.status_code == 422, chatted.text

        found = await client.get("/customers", params={"email": "pat@example.com"})
        assert found.json()["count"] == 0
        assert await stored_customers(namespace) == (0, 0)

        # The same customer's ticket that can be made makes the record, once.
        made = await client.post(
            "/tickets", json={**untriaged("pat@example.com"), "category": "general"}
        )
        assert made.status_code == 201, made.text
        found = await client.get("/customers", params={"email": "pat@example.com"})
        assert found.json()["data"] == [made.json()["customer"]["customer_id"]]
        assert await stored_customers(namespace) == (1, 1)


class FailingSource:
    """Triage's rules as a store that fails or hangs when read."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang

    async def current(self) -> TriageConfig:
        if self.hang:
            await asyncio.sleep(30)
        raise AutoReconnect("store unreachable")


def failing_triage(app: FastAPI, hang: bool = False) -> None:
    app.state.triager = replace(app.state.triager, source=FailingSource(hang))


async def test_a_ticket_whose_triage_fails_or_runs_past_the_deadline_makes_no_customer(
    namespace: Namespace,
) -> None:
    app = intake_app(namespace, http_deadline_seconds=0.5)
    async with serve_in_process(app) as client:
        failing_triage(app)
        with pytest.raises(AutoReconnect):
            await client.post("/tickets", json=untriaged("pat@example.com"))
        failing_triage(app, hang=True)
        cut = await client.post("/tickets", json=untriaged("sam@example.com"))
        assert cut.status_code == 503, cut.text
        assert await stored_customers(namespace) == (0, 0)
