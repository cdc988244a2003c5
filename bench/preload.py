"""Fill the running platform's store with N resolved tickets in minutes, as the real path would.

Through the API, 200,000 tickets would take hours. Instead:
1. seed: a few hundred real tickets (all four categories, one customer each) go through the
   running platform: created, routed (assigned at once or queued first, as capacity allows),
   resolved once assigned, every email sent; every event on the exchange is recorded;
2. read back what each service stored for them: intake `tickets` and `customers`, routing
   `tickets` and `resolutions` (its `queue` and `assignments` entries are gone once a ticket
   is resolved), notify `tickets`, `deliveries` and `delivery_attempts`, reporting `tickets`,
   and each service's `inbox` entries for the events it handled (the seeds' own events, and
   an equal share of the `agent.updated` events each seed caused);
3. clone: N copies, seed after seed, each with a new ticket id, new event ids and a
   customer address of its own (four tickets per customer; intake's `customers` documents
   list each customer's ticket ids in filing order), every date moved so the copies' creation
   times spread evenly over the `SPAN` before the seeding, durations kept; written with
   `insert_many` in batches of `clone.BATCH`.
Agents, routing rules, categories and templates are kept as they are; no copy holds an agent
or waits in a queue. After the copies a new ticket must still be assigned and notified.

Standalone: `.venv/bin/python bench/preload.py 200000`; to go back to an empty store:
`deploy/down`, `.venv/bin/python bench/preload.py --empty-store`, `deploy/up --detach`.
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aio_pika
import clone
import httpx
import tidy
from costs import SERVICES, wait_quiet
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

import access
from intake.domain.idempotency import new_ticket_id

MONGO_URL = os.environ.get("TICKETFLOW_MONGO_URL", "mongodb://127.0.0.1:27017/")
SEEDS = 200
TICKETS_PER_CUSTOMER = 4
SPAN = timedelta(days=90)
SEED_TIMEOUT = 300.0
CATEGORIES = [
    ("billing", {"order_id": "A-1001"}),
    ("technical", {"product": "Router X2"}),
    ("account", {}),
    ("general", {}),
]
BY_TICKET = {
    "intake": ["tickets"],
    "routing": ["tickets", "resolutions"],
    "notify": ["tickets"],
    "reporting": ["tickets"],
}
COPIED = {"intake": ("customers",), "notify": ("deliveries", "delivery_attempts")}
HELD = ("queue", "assignments")  # routing's: a resolved ticket has left both
KEPT = {"intake": {"categories", "migrations"}, "routing": {"agents", "routing_rules"}}
KEPT |= {"notify": {"templates"}, "reporting": {"agents"}}


@dataclass
class Seed:
    ticket_id: str
    email: str
    created_at: datetime | None = None
    event_ids: list[str] = field(default_factory=list)
    docs: list[tuple[str, str, dict]] = field(default_factory=list)  # service, collection, doc


class EventLog:
    """Every event on the exchange while seeding: ids by ticket, and agent.updated ids."""

    def __init__(self) -> None:
        self.by_ticket: dict[str, dict[str, str]] = defaultdict(dict)  # event id -> type
        self.agent_updates: dict[str, None] = {}  # ids in arrival order
        self.copies = 0  # events that arrived again under the same id

    async def start(self, amqp_url: str, exchange: str) -> None:
        self.connection = await aio_pika.connect(amqp_url)
        channel = await self.connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        event = json.loads(message.body)
        if event["type"].startswith("agent.updated"):
            seen = self.agent_updates
        elif "ticket_id" in event.get("data", {}):
            seen = self.by_ticket[event["data"]["ticket_id"]]
        else:
            return
        self.copies += event["id"] in seen
        seen[event["id"]] = event["type"]

    def kinds(self, ticket_id: str) -> list[str]:
        return list(self.by_ticket.get(ticket_id, {}).values())

    def settled(self, ticket_id: str) -> bool:
        """Created, assigned, resolved, and the customer told about each."""
        types = self.kinds(ticket_id)
        return {"ticket.assigned.v1", "ticket.resolved.v1"} <= set(types) and (
            types.count("notification.sent.v1") >= 3
        )


async def seed(http: httpx.AsyncClient, count: int, log: EventLog) -> list[Seed]:
    """Drive `count` tickets through the platform until each is resolved and fully notified."""
    token = uuid.uuid4().hex[:8]
    seeds: list[Seed] = []
    for i in range(count):
        category, fields = CATEGORIES[i % len(CATEGORIES)]
        email = f"seed-{token}-{i:05d}@example.com"
        response = await http.post(
            "/tickets",
            json={
                "channel": ["web", "api", "email", "chat"][i % 4],
                "customer": {"email": email, "name": "Preload Customer"},
                "subject": f"Preloaded {category} request",
                "body": "A request like the ones customers send, kept to fill the store.",
                "category": category,
                "fields": fields,
            },
        )
        response.raise_for_status()
        seeds.append(Seed(response.json()["id"], email))
    deadline = time.perf_counter() + SEED_TIMEOUT
    open_ids = {s.ticket_id for s in seeds}
    while open_ids:
        if time.perf_counter() > deadline:
            raise SystemExit(f"preload: {len(open_ids)} seed tickets never got assigned")
        for ticket_id in sorted(open_ids):
            ticket = (await http.get(f"/tickets/{ticket_id}")).json()
            if ticket["status"] == "open":  # resolve only once routed: the full path
                response = await http.post(f"/tickets/{ticket_id}/resolve", json={})
                response.raise_for_status()
                open_ids.discard(ticket_id)
        await asyncio.sleep(0.5)
    while not all(log.settled(s.ticket_id) for s in seeds):
        if time.perf_counter() > deadline:
            raise SystemExit("preload: seed tickets did not settle")
        await asyncio.sleep(0.5)
    return seeds


async def read_back(client: AsyncMongoClient, seeds: list[Seed], log: EventLog) -> list[str]:
    """Load each seed's documents; returns the collections left as they are."""
    dbs = {service: client[f"ticketflow_{service}"] for service in SERVICES}
    for i, s in enumerate(seeds):
        s.event_ids = [*log.by_ticket[s.ticket_id], *list(log.agent_updates)[i :: len(seeds)]]
        for service, collections in BY_TICKET.items():
            for name in collections:
                doc = await dbs[service][name].find_one({"_id": s.ticket_id})
                if doc is not None:
                    s.docs.append((service, name, doc))
                    s.created_at = s.created_at or doc.get("created_at")
        for service in SERVICES:
            for event_id in s.event_ids:
                doc = await dbs[service].inbox.find_one({"_id": event_id})
                if doc is not None:
                    s.docs.append((service, "inbox", doc))
        s.docs += await deliveries_of(dbs["notify"], s.ticket_id)
        for name in HELD:
            if await dbs["routing"][name].find_one({"_id": s.ticket_id}) is not None:
                raise SystemExit(f"preload: seed {s.ticket_id} is still in routing's {name}")
    kept = []
    for service, db in dbs.items():
        for name in sorted(await db.list_collection_names()):
            if name in KEPT.get(service, set()):
                kept.append(f"{service}.{name}")
            elif name not in {*BY_TICKET[service], *COPIED.get(service, ()), "inbox", *HELD}:
                kept.append(f"{service}.{name} (unknown: left as is)")
    return kept


async def deliveries_of(notify: AsyncDatabase, ticket_id: str) -> list[tuple[str, str, dict]]:
    """A ticket's deliveries and the attempt documents any of them left."""
    found = []
    ticket = await notify.tickets.find_one({"_id": ticket_id})
    for delivery_id in (ticket or {}).get("delivery_ids", []):
        delivery = await notify.deliveries.find_one({"_id": delivery_id})
        if delivery is None:
            continue
        found.append(("notify", "deliveries", delivery))
        for n in range(delivery["attempts"] + delivery.get("abandoned_attempts", 0) + 2):
            attempt = await notify.delivery_attempts.find_one({"_id": f"{delivery_id}#{n}"})
            if attempt is not None:
                found.append(("notify", "delivery_attempts", attempt))
    return found


async def write_copies(client: AsyncMongoClient, seeds: list[Seed], n: int) -> dict:
    """Insert `n` copies of the seeds, and intake's `customers` documents for them."""
    dbs = {service: client[f"ticketflow_{service}"] for service in SERVICES}
    writer = clone.Writer(dbs)
    patterns = [clone.token_pattern([s.ticket_id, s.email, *s.event_ids]) for s in seeds]
    templates = [
        [(service, name, clone.compile_template(doc, pattern)) for service, name, doc in s.docs]
        for s, pattern in zip(seeds, patterns, strict=True)
    ]
    customers = max(1, n // TICKETS_PER_CUSTOMER)
    filed: dict[str, list[str]] = defaultdict(list)
    newest = min(s.created_at for s in seeds if s.created_at) - timedelta(minutes=1)
    token = uuid.uuid4().hex[:8]
    for k in range(n):
        i = k % len(seeds)
        s = seeds[i]
        ticket_id = new_ticket_id()
        email = f"customer-{token}-{k % customers:07d}@example.com"
        tokens = {s.ticket_id: ticket_id, s.email: email}
        tokens |= {event_id: uuid.uuid4().hex for event_id in s.event_ids}
        created = newest - SPAN + SPAN * (k / n)
        copy = clone.Copy(tokens, created - (s.created_at or newest), patterns[i])
        for service, name, build in templates[i]:
            await writer.add(service, name, build(copy))
        filed[email].append(ticket_id)
        if k and k % max(1, n // 10) == 0:
            print(f"[preload] {k}/{n} tickets written", file=sys.stderr, flush=True)
    for email, ticket_ids in filed.items():
        await writer.add("intake", "customers", {"_id": email, "ticket_ids": ticket_ids})
    await writer.close()
    return writer.written


async def check_platform(http: httpx.AsyncClient, log: EventLog, timeout: float = 60) -> str:
    """A new ticket is still assigned and its customer told; then it is resolved."""
    started = time.perf_counter()
    response = await http.post(
        "/tickets",
        json={
            "channel": "web",
            "customer": {"email": f"check-{uuid.uuid4().hex[:8]}@example.com"},
            "subject": "After the preload",
            "body": "Is anyone there?",
            "category": "billing",
            "fields": {"order_id": "A-2002"},
        },
    )
    response.raise_for_status()
    ticket_id = response.json()["id"]
    while True:
        kinds = log.kinds(ticket_id)
        if "ticket.assigned.v1" in kinds and kinds.count("notification.sent.v1") >= 2:
            break
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"preload: {ticket_id} was not assigned and notified in {timeout} s")
        await asyncio.sleep(0.05)
    took = time.perf_counter() - started
    agent = (await http.get(f"/tickets/{ticket_id}")).json()["assignee"]["agent_id"]
    (await http.post(f"/tickets/{ticket_id}/resolve", json={})).raise_for_status()
    return f"{ticket_id} assigned to {agent} and both emails sent {took:.2f} s after its POST"


async def preload(
    n: int, urls: dict[str, str], amqp_url: str, exchange: str, seeds: int = SEEDS
) -> str:
    """Add `n` resolved tickets to the running platform's store; a summary line."""
    client: AsyncMongoClient = AsyncMongoClient(MONGO_URL, tz_aware=True)
    log = EventLog()
    await log.start(amqp_url, exchange)
    queues = [f"{os.environ.get('TICKETFLOW_QUEUE_PREFIX', '')}{s}.events" for s in SERVICES]
    try:
        async with httpx.AsyncClient(
            base_url=urls["intake"], timeout=30, headers=access.headers()
        ) as http:
            started = time.perf_counter()
            await tidy.free_everyone(urls)  # seeds must not wait behind others' tickets
            await wait_quiet(amqp_url, queues)
            seeded = await seed(http, min(seeds, n), log)
            await wait_quiet(amqp_url, queues)
            kept = await read_back(client, seeded, log)
            seeding = time.perf_counter() - started
            started = time.perf_counter()
            written = await write_copies(client, seeded, n)
            copying = time.perf_counter() - started
            await wait_quiet(amqp_url, queues)
            check = await check_platform(http, log)
    finally:
        await log.connection.close()
        await client.close()
    per_collection = ", ".join(f"{s}.{c} {count}" for (s, c), count in sorted(written.items()))
    return (
        f"preload: {n} tickets copied from {len(seeded)} seeds (seeding {seeding:.0f} s) "
        f"in {copying:.0f} s, {sum(written.values())} documents: {per_collection}; "
        f"left as they are: {', '.join(kept)}; {log.copies} events seen twice while seeding"
        f"\npreload check: {check}"
    )


async def empty_store(urls: dict[str, str]) -> None:
    """Drop the platform's four databases; only while its services are stopped."""
    async with httpx.AsyncClient(timeout=2) as http:
        for url in urls.values():
            try:
                await http.get(f"{url}/healthz")
            except httpx.TransportError:
                continue
            raise SystemExit(f"{url} answers: stop the services first (deploy/down)")
    client: AsyncMongoClient = AsyncMongoClient(MONGO_URL)
    try:
        for service in SERVICES:
            await client.drop_database(f"ticketflow_{service}")
            print(f"[preload] dropped ticketflow_{service}", file=sys.stderr)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", type=int, nargs="?", default=0)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--empty-store", action="store_true", help="drop the four databases")
    args = parser.parse_args()
    ports = {"intake": 8001, "routing": 8002, "notify": 8003, "reporting": 8004}
    urls = {service: f"http://{args.host}:{port}" for service, port in ports.items()}
    if args.empty_store:
        asyncio.run(empty_store(urls))
        return
    amqp_url = os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    exchange = os.environ.get("TICKETFLOW_EXCHANGE", "ticketflow")
    print(asyncio.run(preload(args.tickets, urls, amqp_url, exchange, args.seeds)))


if __name__ == "__main__":
    main()
