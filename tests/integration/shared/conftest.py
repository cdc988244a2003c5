"""The outbox tests' broker and store: a connected bus and a database of the test's own."""

from collections.abc import AsyncIterator

import pytest

from support import Namespace
from ticketflow_shared.bus import Bus
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client


@pytest.fixture
async def parts(namespace: Namespace) -> AsyncIterator[tuple[Bus, SerializedDatabase]]:
    client = mongo_client(namespace.servers.mongo_url, "outbox-tests")
    db = SerializedDatabase(client[namespace.database("outbox")])
    await db.detect()
    bus = Bus(namespace.servers.amqp_url, exchange=namespace.exchange, namespace="outbox-test")
    await bus.connect()
    yield bus, db
    await bus.close()
    await client.close()
