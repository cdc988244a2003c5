"""SLA due timers under load: N breach timers pending at once on the real store, fired by
one routing-like process (its scheduler, its store client behind the FerretDB adapter, its
outbox relay publishing with confirms to the real broker) into a quorum queue, where a
consumer measures how late each breach event arrives.

Prints the lateness of the breach events (due -> received, p50/p99/max), the store commands
per timer (all of them, the relay's included, and the time each kind took), CPU milliseconds
per timer in this process, and what the polls cost.

    source /tmp/infra.env   # or deploy/infra.sh start
    .venv/bin/python bench/sla_timers.py --timers 10000 --from 60 --to 120
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

import aio_pika

from ticketflow_shared.bus import Bus
from ticketflow_shared.clock import SYSTEM_CLOCK
from ticketflow_shared.events import Envelope, Priority, SlaBreachedV1, SlaTarget
from ticketflow_shared.metrics import STORE_COMMANDS
from ticketflow_shared.outbox import OutboxRelay
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.serialized import SerializedDatabase
from ticketflow_shared.store import mongo_client
from ticketflow_shared.timers import DueTimers, Timer, index_models

BREACHED = "sla.breached.v1"


def breach(timer: Timer) -> list[Envelope]:
    event = SlaBreachedV1(
        ticket_id=timer.data["ticket"],
        target=SlaTarget.first_response,
        policy="bench",
        policy_version=1,
        priority=Priority.high,
        target_seconds=60,
        due_at=timer.due,
        at=SYSTEM_CLOCK.now(),
    )
    return [Envelope.wrap(event, source="/ticketflow/routing", subject=timer.data["ticket"])]


class Arrivals:
    """A consumer on a quorum queue bound to the bench's exchange: each breach's lateness."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.worst: dict[int, float] = {}  # by 10 s of due time: the latest arrival
        self.tickets: Counter[str] = Counter()

    async def start(self, bus: Bus, queue_name: str) -> None:
        self.channel = await bus.connection.channel()
        self.queue = await self.channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await self.queue.bind(bus.exchange_name, routing_key=BREACHED)
        self.tag = await self.queue.consume(self._received, no_ack=True)

    async def _received(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        data = json.loads(message.body)["data"]
        due = datetime.fromisoformat(data["due_at"]).timestamp()
        late = time.time() - due
        self.lateness.append(late)
        self.worst[int(due // 10)] = max(self.worst.get(int(due // 10), 0.0), late)
        self.tickets[data["ticket_id"]] += 1

    async def close(self, bus: Bus) -> None:
        await self.queue.cancel(self.tag)
        await self.queue.delete(if_unused=False, if_empty=False)
        for exchange in (bus.exchange_name, bus.dead_letter_exchange):
            await self.channel.exchange_delete(exchange)
        await self.channel.close()


async def run(count: int, earliest: float, latest: float) -> None:
    mongo_url = os.environ.get("TICKETFLOW_MONGO_URL", "mongodb://127.0.0.1:27017/")
    amqp_url = os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    name = f"bench_sla_{uuid.uuid4().hex[:8]}"
    client = mongo_client(mongo_url, "bench")
    db = SerializedDatabase(client[name])
    await db.detect()
    bus = Bus(amqp_url, exchange=name.replace("_", "."), namespace=name)
    await bus.connect()
    arrivals = Arrivals()
    await arrivals.start(bus, name)
    scheduler = Scheduler()
    relay = OutboxRelay(bus, [db["firings"]])
    timers = DueTimers(
        "bench", db["timers"], db["firings"], scheduler, _check, relay.flush_inserted
    )
    await db["timers"].create_indexes(index_models())
    commands_before = Counter(STORE_COMMANDS.counts)
    start = SYSTEM_CLOCK.now()
    for n in range(count):
        due = start + timedelta(seconds=random.uniform(earliest, latest))
        await timers.schedule(f"TF-{n}:first_response:0:breach", due, {"ticket": f"TF-{n}"})
    scheduled_in = (SYSTEM_CLOCK.now() - start).total_seconds()
    poll_started = time.perf_counter()
    await timers.poll()
    full_poll = time.perf_counter() - poll_started
    timers.stats.polls, timers.stats.poll_seconds = 0, 0.0
    firing_before = Counter(STORE_COMMANDS.counts), Counter(STORE_COMMANDS.micros)
    cpu_before = time.process_time()
    timers.start()
    scheduler.start()
    give_up = time.monotonic() + latest + 600
    while len(arrivals.lateness) < count and time.monotonic() < give_up:
        await asyncio.sleep(0.5)
    cpu = time.process_time() - cpu_before
    await scheduler.stop()
    firing = (
        Counter(STORE_COMMANDS.counts) - firing_before[0],
        Counter(STORE_COMMANDS.micros) - firing_before[1],
    )
    everything = Counter(STORE_COMMANDS.counts) - commands_before
    await arrivals.close(bus)
    await bus.close()
    await client.drop_database(name)
    await client.close()
    _report(count, earliest, latest, scheduled_in, arrivals, timers, cpu, full_poll)
    _report_commands(count, everything, *firing)


def _report(count, earliest, latest, scheduled_in, arrivals, timers, cpu, full_poll) -> None:
    lateness = sorted(arrivals.lateness)
    received = len(lateness)
    print(
        f"{count} timers due {earliest:.0f}-{latest:.0f} s out, scheduled in {scheduled_in:.1f} s;"
        f" {received} breach events received, {len(arrivals.tickets)} tickets,"
        f" {sum(n - 1 for n in arrivals.tickets.values())} repeated"
    )
    if lateness:
        print(
            f"lateness due -> received: p50 {statistics.median(lateness) * 1000:.0f} ms, "
            f"p99 {lateness[int(0.99 * (received - 1))] * 1000:.0f} ms, "
            f"max {lateness[-1] * 1000:.0f} ms"
        )
        worst = " ".join(f"{arrivals.worst[w]:.1f}" for w in sorted(arrivals.worst))
        print(f"worst lateness per 10 s of due time, in s: {worst}")
    stats = timers.stats
    print(
        f"firings: {stats.claimed} claimed, {stats.lost} found taken (armed again by a poll"
        f" that read the timer before its delete), {stats.stale} stale"
    )
    print(f"CPU per timer (this process, while firing): {cpu * 1000 / count:.2f} ms")
    polls = max(timers.stats.polls, 1)
    print(
        f"poll: {timers.stats.poll_seconds * 1000 / polls:.0f} ms mean over "
        f"{timers.stats.polls} polls while firing; {full_poll * 1000:.0f} ms with all "
        f"{count} pending"
    )


def _report_commands(count: int, everything: Counter, firing: Counter, micros: Counter) -> None:
    print(f"store commands per timer, schedule to fired: {sum(everything.values()) / count:.2f}")
    print("while firing, per timer (command collection: count, mean ms):")
    for (command, collection), n in firing.most_common():
        mean = micros[command, collection] / n / 1000
        print(f"  {command} {collection}: {n / count:.2f}, {mean:.1f} ms")


async def _check(timer: Timer) -> list[Envelope]:
    return breach(timer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--from", dest="earliest", type=float, default=60)
    parser.add_argument("--to", dest="latest", type=float, default=120)
    args = parser.parse_args()
    asyncio.run(run(args.timers, args.earliest, args.latest))


if __name__ == "__main__":
    main()
