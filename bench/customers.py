"""GET /customers/{id} on a store of 200,000 tickets: p50/p99 over HTTP and store round trips.

The tickets go straight into a store of the bench's own (a database named for this run,
dropped at the end) with `insert_many` in batches, each customer with its record
(`customer_profiles`) and its timeline (`customer_timelines`), four tickets per customer, as
intake files them. Then an intake process runs in this process behind uvicorn and the bench
asks for random customers' profiles one after another, counting the store commands each
request sends (a pymongo command listener).

    source /tmp/infra.env   # or any TICKETFLOW_MONGO_URL / TICKETFLOW_AMQP_URL
    .venv/bin/python bench/customers.py                 # 200,000 tickets, 500 requests
    .venv/bin/python bench/customers.py --tickets 20000 --requests 200
    .venv/bin/python bench/customers.py --keep          # prints the run id to reuse:
    .venv/bin/python bench/customers.py --reuse RUN     # the kept store, no load; --drop RUN

Before the requests intake's start sweep of the outbox (a full scan on FerretDB) is awaited,
and a bare `_id` lookup of a profile is timed 500 times: the store's own latency in the same
run, the floor under any request that reads it.
"""

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import socket
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
import uvicorn
from pydantic import SecretStr
from pymongo import AsyncMongoClient, monitoring

from intake.adapters import handoff_views
from intake.adapters import tickets as ticket_store
from intake.adapters.customer_profiles import CUSTOMER_PROFILES, CUSTOMER_TIMELINES
from intake.adapters.customers import CUSTOMERS, MIGRATIONS, TICKET_IDS
from intake.adapters.documents import EMAIL, customer_index, to_document
from intake.adapters.timelines import SUMMARIES, MongoTimelines
from intake.bootstrap import TICKETS, create_app
from intake.customer_linking import new_customer_id
from intake.domain.categories import DEFAULT_CATEGORIES
from intake.domain.customer_profiles import entry_ticket_id, timeline_entry
from intake.domain.ticket import Ticket
from intake.domain.timelines import TimelineTicket
from intake.settings import IntakeSettings
from ticketflow_shared.access.tokens import mint_local_token
from ticketflow_shared.events import Channel, Customer
from ticketflow_shared.pii import new_key
from ticketflow_shared.resealing import marker_id

TICKETS_PER_CUSTOMER = 4
BATCH = 5000
STORE_COLLECTIONS = {TICKETS, CUSTOMER_PROFILES, CUSTOMER_TIMELINES}
START = datetime(2026, 1, 1, tzinfo=UTC)
KEPT = "bench_kept"


class RoundTrips(monitoring.CommandListener):
    """Counts the commands sent on the collections a profile read touches."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if isinstance(target, str) and target in STORE_COLLECTIONS:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def settings_for(run: str) -> IntakeSettings:
    return IntakeSettings(
        service_name="intake",
        mongo_url=os.environ.get("TICKETFLOW_MONGO_URL", "mongodb://127.0.0.1:27017/"),
        amqp_url=os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        mongo_db=f"bench_customers_{run}",
        exchange=f"bench-customers-{run}",
        queue_prefix=f"bench-customers-{run}-",
        auth_jwt_secret=secrets.token_urlsafe(32),
        pii_keys=f"bench:{new_key()}",
        pii_index_key=new_key(),
        rate_limit_per_second=100_000,
        rate_limit_burst=100_000,
        seed_default_categories=True,
    )


def template(cipher) -> Ticket:
    rule = next(rule for rule in DEFAULT_CATEGORIES if rule.name == "general")
    return Ticket.create(
        ticket_id="TF-template",
        channel=Channel.web,
        customer=Customer(email="template@example.com", name="Pat"),
        subject="Where is my parcel",
        body="Order A-1003 has not arrived.",
        rule=rule,
        fields={},
        priority=None,
        now=START,
    )


async def preload(settings: IntakeSettings, tickets: int) -> list[str]:
    """Write the tickets, records and timelines; the customers' ids."""
    cipher = settings.field_cipher()
    db = AsyncMongoClient(settings.mongo_url)[settings.database_name]
    base = to_document(template(cipher), cipher)
    shown = TimelineTicket.of(template(cipher))
    summaries = MongoTimelines(db[CUSTOMER_TIMELINES], db[MIGRATIONS], cipher)
    customers = [new_customer_id() for _ in range(tickets // TICKETS_PER_CUSTOMER)]
    step = timedelta(days=90) / max(tickets, 1)
    await _build_indexes(settings)
    await _mark_migrated(db, cipher)
    batch, timelines, profiles, listings, n = [], [], [], [], 0
    for number, customer_id in enumerate(customers):
        email = f"customer{number}@example.com"
        sealed, index = cipher.seal(email, EMAIL), customer_index(email, cipher)
        entries, kept = [], {}
        for _ in range(TICKETS_PER_CUSTOMER):
            at = START + step * n
            ticket_id = f"TF-B{n:010d}"
            customer = {
                "email": sealed,
                "name": base["customer"]["name"],
                "customer_id": customer_id,
            }
            batch.append(
                {
                    **base,
                    "_id": ticket_id,
                    "created_at": at,
                    "updated_at": at,
                    "customer": customer,
                    "customer_email": index,
                }
            )
            entries.append(timeline_entry(at, ticket_id))
            item = replace(shown, id=ticket_id, created_at=at, customer_email=email)
            kept[ticket_id] = summaries.summary(item)
            n += 1
        timelines.append({"_id": customer_id, TICKET_IDS: entries, SUMMARIES: kept})
        listings.append({"_id": index, TICKET_IDS: [entry_ticket_id(e) for e in entries]})
        profiles.append({"_id": customer_id, "name": f"Customer {number}", "tier": "gold"})
        if len(batch) >= BATCH:
            await _write(db, batch, timelines, profiles, listings)
            batch, timelines, profiles, listings = [], [], [], []
    if batch:
        await _write(db, batch, timelines, profiles, listings)
    return customers


async def _build_indexes(settings: IntakeSettings) -> None:
    """The ticket indexes intake's start creates, made on the empty collections before the
    load: built over 200,000 stored tickets on FerretDB they outlast the run."""
    db = AsyncMongoClient(settings.mongo_url)[settings.database_name]
    await db[TICKETS].create_indexes([*ticket_store.INDEXES, *handoff_views.INDEXES])


async def _mark_migrated(db, cipher) -> None:
    """What intake's start would otherwise do over every ticket: they are written sealed
    with the active key and filed under their customers already."""
    done = {"done_at": START}
    await db[MIGRATIONS].insert_one({"_id": marker_id(db[TICKETS], cipher), **done})
    await db[MIGRATIONS].insert_one({"_id": "customer_ticket_ids:blind_index", **done})


async def _write(db, batch: list, timelines: list, profiles: list, listings: list) -> None:
    await db[TICKETS].insert_many(batch, ordered=False)
    await db[CUSTOMERS].insert_many(listings, ordered=False)
    await db[CUSTOMER_TIMELINES].insert_many(timelines, ordered=False)
    await db[CUSTOMER_PROFILES].insert_many(profiles, ordered=False)


async def measure(settings: IntakeSettings, customers: list[str], requests: int) -> None:
    listener = RoundTrips()
    monitoring.register(listener)  # before the app's client exists, so it reports there
    app = create_app(settings)
    port = _free_port()
    # Host and port, not a bound socket: a socket handed over so answers each request
    # only after a delayed ACK (about 40 ms on Linux).
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    began = time.perf_counter()
    while not server.started:
        await asyncio.sleep(0.05)
    await _start_sweep_done(app)
    print(f"intake started and swept its outboxes in {time.perf_counter() - began:.1f} s")
    await _store_floor(settings, customers)
    token = mint_local_token(
        settings.auth_jwt_secret.get_secret_value(), subject="bench", roles=("admin",)
    )
    url = f"http://127.0.0.1:{port}"
    latencies, trips = [], []
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for n in range(requests + 50):
                customer_id = random.choice(customers)
                before, began = listener.count, time.perf_counter()
                answer = await http.get(f"/customers/{customer_id}")
                elapsed = time.perf_counter() - began
                assert answer.status_code == 200, answer.text
                assert len(answer.json()["timeline"]["data"]) == TICKETS_PER_CUSTOMER
                if n >= 50:  # the first ones warm the pools
                    latencies.append(elapsed * 1000)
                    trips.append(listener.count - before)
    finally:
        server.should_exit = True
        await task
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"GET /customers/{{id}}: {len(latencies)} requests, "
        f"p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, "
        f"store round trips per request {statistics.median(trips):.0f} "
        f"(max {max(trips)}; the ticket reads go out together)"
    )


async def _start_sweep_done(app) -> None:
    """Wait for the relay's one full sweep at start."""
    while "outbox-start-sweep" in app.state.runtime.scheduler:
        await asyncio.sleep(0.1)


async def _store_floor(settings: IntakeSettings, customers: list[str]) -> None:
    """A bare `_id` lookup of a profile, 500 times: the store's latency in this run."""
    client = AsyncMongoClient(settings.mongo_url)
    profiles = client[settings.database_name][CUSTOMER_PROFILES]
    took = []
    for _ in range(550):
        began = time.perf_counter()
        await profiles.find_one({"_id": random.choice(customers)})
        took.append((time.perf_counter() - began) * 1000)
    await client.close()
    took = sorted(took[50:])
    print(
        f"baseline, one bare _id find_one: p50 {statistics.median(took):.1f} ms, "
        f"p99 {took[int(len(took) * 0.99)]:.1f} ms"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the bench's database")
    parser.add_argument("--reuse", metavar="RUN", help="measure a kept store again; kept")
    parser.add_argument("--drop", metavar="RUN", help="drop a kept store and stop")
    args = parser.parse_args()
    if args.drop:
        await _drop_kept(args.drop)
        return
    if args.reuse:
        settings, customers = await _kept(args.reuse)
    else:
        run = secrets.token_hex(4)
        settings = settings_for(run)
        began = time.perf_counter()
        customers = await preload(settings, args.tickets)
        print(
            f"loaded {args.tickets} tickets of {len(customers)} customers "
            f"in {time.perf_counter() - began:.0f} s"
        )
        if args.keep:
            await _remember(settings, run)
            print(f"kept as run {run}: --reuse {run}, then --drop {run}")
    try:
        await measure(settings, customers, args.requests)
    finally:
        if not (args.keep or args.reuse):
            await AsyncMongoClient(settings.mongo_url).drop_database(settings.database_name)
        await _drop_broker_objects(settings)


async def _remember(settings: IntakeSettings, run: str) -> None:
    """The keys a kept store was sealed with, in the store, for --reuse."""
    db = AsyncMongoClient(settings.mongo_url)[settings.database_name]
    keys = {
        "pii_keys": settings.pii_keys.get_secret_value(),
        "pii_index_key": settings.pii_index_key.get_secret_value(),
    }
    await db[KEPT].insert_one({"_id": run, **keys})


async def _kept(run: str) -> tuple[IntakeSettings, list[str]]:
    settings = settings_for(run)
    db = AsyncMongoClient(settings.mongo_url)[settings.database_name]
    keys = await db[KEPT].find_one({"_id": run})
    if keys is None:
        raise SystemExit(f"no kept store of run {run}")
    settings = settings.model_copy(update=_keys(keys))
    customers = [doc["_id"] async for doc in db[CUSTOMER_PROFILES].find({}, {"_id": 1})]
    print(f"reusing run {run}: {len(customers)} customers")
    return settings, customers


def _keys(keys: dict) -> dict:
    return {
        "pii_keys": SecretStr(keys["pii_keys"]),
        "pii_index_key": SecretStr(keys["pii_index_key"]),
    }


async def _drop_kept(run: str) -> None:
    settings = settings_for(run)
    await AsyncMongoClient(settings.mongo_url).drop_database(settings.database_name)
    print(f"dropped {settings.database_name}")


async def _drop_broker_objects(settings: IntakeSettings) -> None:
    """The run's queues and exchanges, as the test suite drops a namespace's."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        for purpose in ("events", "access"):
            for suffix in ("", ".dlq"):
                channel = await connection.channel()
                with contextlib.suppress(Exception):  # never declared
                    await channel.queue_delete(f"{settings.queue_prefix}intake.{purpose}{suffix}")
        for exchange in (settings.exchange, f"{settings.exchange}.dlx"):
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.exchange_delete(exchange)


if __name__ == "__main__":
    asyncio.run(main())
