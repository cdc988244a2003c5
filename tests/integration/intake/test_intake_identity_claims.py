"""Identity claims on the real store: one customer per identity, whatever the race."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from intake.adapters.customer_identities import CUSTOMER_IDENTITIES, MongoCustomerIdentities
from intake.domain.customer_identities import chat_identity, email_identity, phone_identity
from intake.settings import IntakeSettings
from support import Namespace

pytestmark = pytest.mark.integration

T0 = datetime(2024, 11, 4, 8, 0, tzinfo=UTC)


async def test_two_processes_creating_one_customer_get_the_same_id(namespace: Namespace) -> None:
    cipher = namespace.settings(IntakeSettings, "intake").field_cipher()
    first = AsyncMongoClient(namespace.servers.mongo_url)
    second = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        stores = [
            MongoCustomerIdentities(
                client[namespace.database("intake")][CUSTOMER_IDENTITIES], cipher
            )
            for client in (first, second)
        ]
        for round_ in range(5):
            identities = [
                email_identity(f"pat.{round_}.{namespace.token}@example.com"),
                phone_identity(f"+4420794609{round_:02d}"),
            ]
            results = await asyncio.gather(
                *(store.resolve(identities, uuid.uuid4().hex, T0) for store in stores)
            )
            assert results[0][0] == results[1][0]
            assert sorted(new for _, new in results) == [False, True]
            for identity in identities:
                assert await stores[0].owner(identity) == results[0][0]
    finally:
        await first.close()
        await second.close()


async def test_a_known_identity_brings_the_new_ones_to_its_customer(namespace: Namespace) -> None:
    cipher = namespace.settings(IntakeSettings, "intake").field_cipher()
    client = AsyncMongoClient(namespace.servers.mongo_url)
    try:
        store = MongoCustomerIdentities(
            client[namespace.database("intake")][CUSTOMER_IDENTITIES], cipher
        )
        email = email_identity(f"pat.{namespace.token}@example.com")
        pat, created = await store.resolve([email], "C-pat", T0)
        assert (pat, created) == ("C-pat", True)
        chat = chat_identity("slack", f"U{namespace.token}")
        again, created = await store.resolve([chat, email], "C-other", T0)
        assert (again, created) == ("C-pat", False)
        assert await store.owner(chat) == "C-pat"
    finally:
        await client.close()
