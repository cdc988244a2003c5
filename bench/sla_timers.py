"""SLA due timers under load: N breach timers pending at once on the real store, fired by
one routing-like process (its scheduler and store client; the outbox step empties the firing's
outbox where the relay would publish it, and that is where lateness is measured).

Prints the lateness of the breach events (due -> published, p50/p99/max), store round trips
and CPU milliseconds per timer, and what one poll costs with everything pending.

    source /tmp/infra.env   # or deploy/infra.sh start
    .venv/bin/python bench/sla_timers.py --timers 10000 --from 60 --to 120
"""

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

from ticketflow_shared.clock import SYSTEM_CLOCK
from ticketflow_shared.events import Envelope, Priority, SlaBreachedV1, SlaTarget
from ticketflow_shared.scheduling import Scheduler
from ticketflow_shared.store import mongo_client
from ticketflow_shared.timers import DueTimers, Timer, index_models


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


async def run(count: int, earliest: float, latest: float) -> None:
    url = os.environ.get("TICKETFLOW_MONGO_URL", "mongodb://127.0.0.1:27017/")
    client = mongo_client(url, "bench")
    db = client[f"bench_sla_{uuid.uuid4().hex[:8]}"]
    lateness: list[float] = []

    async def flush(collection, doc_id, entries) -> None:
        # What the relay does after publishing: empty the outbox; lateness measured here.
        for entry in entries:
            due = Envelope.model_validate_json(entry["body"]).data["due_at"]
            lateness.append(time.time() - _epoch(due))
        await collection.update_one({"_id": doc_id}, {"$set": {"outbox": []}})

    async def check(timer: Timer) -> list[Envelope]:
        return breach(timer)

    scheduler = Scheduler()
    timers = DueTimers("bench", db["timers"], db["firings"], scheduler, check, flush)
    await db["timers"].create_indexes(index_models())
    start = SYSTEM_CLOCK.now()
    for n in range(count):
        due = start + timedelta(seconds=random.uniform(earliest, latest))
        await timers.schedule(f"TF-{n}:first_response:0:breach", due, {"ticket": f"TF-{n}"})
    scheduled_in = (SYSTEM_CLOCK.now() - start).total_seconds()
    polls_before = timers.stats.polls
    poll_started = time.perf_counter()
    await timers.poll()
    full_poll = time.perf_counter() - poll_started
    timers.stats.polls = polls_before
    timers.stats.poll_seconds = 0.0
    cpu_before = time.process_time()
    timers.start()
    scheduler.start()
    while len(lateness) < count:
        await asyncio.sleep(0.5)
    cpu = time.process_time() - cpu_before
    await scheduler.stop()
    await client.drop_database(db.name)
    await client.close()
    lateness.sort()
    polls = max(timers.stats.polls, 1)
    print(
        f"{count} timers due {earliest:.0f}-{latest:.0f} s out, scheduled in {scheduled_in:.1f} s"
    )
    print(
        f"lateness due -> published: p50 {statistics.median(lateness) * 1000:.0f} ms, "
        f"p99 {lateness[int(0.99 * (count - 1))] * 1000:.0f} ms, max {lateness[-1] * 1000:.0f} ms"
    )
    print(f"store round trips per timer (schedule..fire): {timers.stats.round_trips / count:.1f}")
    print(f"CPU per timer: {cpu * 1000 / count:.2f} ms")
    print(
        f"poll: {timers.stats.poll_seconds * 1000 / polls:.1f} ms mean over {polls} polls while "
        f"firing; {full_poll * 1000:.0f} ms with all {count} pending"
    )


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--from", dest="earliest", type=float, default=60)
    parser.add_argument("--to", dest="latest", type=float, default=120)
    args = parser.parse_args()
    asyncio.run(run(args.timers, args.earliest, args.latest))


if __name__ == "__main__":
    main()
