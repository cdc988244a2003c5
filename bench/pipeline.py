"""Open-loop load: POST → "customer notified" through ticketflow, against a bare baseline.

Requests are sent on a fixed schedule (offered rate) whatever the system does, and latency is
measured from each request's *scheduled* time, so a slow system cannot hide its latency by
slowing the sender. For each offered rate it prints achieved rate and p50/p99 latency for:
  baseline — HTTP POST that publishes one confirmed message, consumed by a no-op consumer;
  ticketflow — POST /tickets to intake until notify's `notification.sent.v1` for that ticket.
Then what each run cost: store round trips per ticket by service and command (the services'
`GET /metrics`), and CPU ms per ticket for each service, the broker, the store, the mail
catcher and this process (baseline: CPU ms per message). A run's cost is counted from its
first request until the services' queues are empty again, so it includes everything the
tickets set off (assignment, every email, the read models) and the background work of that
stretch (outbox polls, the routing sweep), which the idle line shows on its own. Before the
runs and after each one, every ticket routing holds or queues is resolved, untimed, so every
run starts with free agents and an empty queue (tidy.py).
`--preload N` first fills the store with N resolved tickets (see preload.py). `--processes N`
measures a platform started with `TICKETFLOW_PROCESSES=N deploy/up`: tickets go to the intake
processes in turn, round trips are summed per service and CPU is shown per process.
Run the platform first (`deploy/up --detach`), then `.venv/bin/python bench/pipeline.py`.
"""

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import cost_tables
import httpx
import tidy
from costs import SERVICES, Cost, Meter, server_pids, wait_quiet

import access

SHED_RETRIES = 30
AMQP_URL = os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
QUEUE_PREFIX = os.environ.get("TICKETFLOW_QUEUE_PREFIX", "")
PORTS = {"intake": 8001, "routing": 8002, "notify": 8003, "reporting": 8004}
IDLE_SECONDS = 5.0


@dataclass
class Result:
    offered: float
    sent: int
    done: int
    seconds: float
    latencies: list[float]
    cost: Cost | None = None

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

    @property
    def achieved(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


class Arrivals:
    """Completion times by id, filled by a consumer on the broker."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    async def watch(self, exchange: str, routing_key: str, key_of: Callable) -> None:
        self.connection = await aio_pika.connect(AMQP_URL)
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=500)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(
            await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True),
            routing_key=routing_key,
        )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            key = key_of(message)
            if key is not None:
                self.at.setdefault(key, time.perf_counter())
            await message.ack()

        await queue.consume(on_message)


async def drive(
    rate: float, seconds: float, send: Callable[[], Awaitable[str]], arrivals: Arrivals
) -> Result:
    """Send `rate` requests a second for `seconds`; each `send` returns the id to wait for."""
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2

    async def timed_send(at: float) -> tuple[str, float]:
        return await send(), at

    tasks = []
    for i in range(total):
        at = start + i / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        tasks.append(asyncio.create_task(timed_send(at)))
    sent = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if isinstance(r, tuple)]
    scheduled = dict(sent)
    deadline = time.perf_counter() + max(30.0, seconds * 2)
    while time.perf_counter() < deadline and not all(k in arrivals.at for k in scheduled):
        await asyncio.sleep(0.05)
    done = [k for k in scheduled if k in arrivals.at]
    finished = max((arrivals.at[k] for k in done), default=start)
    return Result(
        offered=rate,
        sent=total,
        done=len(done),
        seconds=finished - start,
        latencies=[arrivals.at[k] - scheduled[k] for k in done],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


async def run_baseline(rates: list[float], seconds: float) -> list[Result]:
    port = free_port()
    exchange = f"bench-baseline-{uuid.uuid4().hex[:6]}"
    server = await asyncio.create_subprocess_exec(
        *[
            sys.executable,
            "-m",
            "uvicorn",
            "baseline_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).parent,
        env={**os.environ, "BENCH_EXCHANGE": exchange},
    )
    try:
        await wait_http(f"http://127.0.0.1:{port}/docs")
        arrivals = Arrivals()
        await arrivals.watch(exchange, "bench.published", lambda m: m.message_id)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_connections=200)
        ) as http:

            async def send() -> str:
                key = uuid.uuid4().hex
                response = await http.post("/publish", content=b"{}", headers={"x-bench-id": key})
                response.raise_for_status()
                return key

            meter = Meter({}, {**server_pids(), "baseline app": server.pid, "bench": os.getpid()})
            results = []
            for rate in rates:
                before = await meter.snapshot()
                result = await drive(rate, seconds, send, arrivals)
                result.cost = Cost.between(before, await meter.snapshot())
                results.append(result)
        channel = await arrivals.connection.channel()
        await channel.exchange_delete(exchange)  # the baseline's exchange is this run's alone
        await arrivals.connection.close()
        return results
    finally:
        server.terminate()
        await server.wait()


def process_urls(host: str, processes: int) -> dict[str, str]:
    """Every process's address by name (`intake#2` the second intake), as deploy/up runs them."""
    return {
        service if k == 1 else f"{service}#{k}": f"http://{host}:{port + 10 * (k - 1)}"
        for service, port in PORTS.items()
        for k in range(1, processes + 1)
    }


async def run_ticketflow(
    rates: list[float],
    seconds: float,
    processes: dict[str, str],
    exchange: str,
    resolve: bool,
) -> tuple[list[Result], Cost]:
    """The ticketflow runs, each with its cost; and the cost of an idle stretch before them."""
    urls = {service: processes[service] for service in PORTS}
    intakes = [url for name, url in processes.items() if name.split("#")[0] == "intake"]
    meter = Meter(processes, {**server_pids(), "bench": os.getpid()})
    queues = [f"{QUEUE_PREFIX}{service}.events" for service in SERVICES]
    await wait_quiet(AMQP_URL, queues)
    if resolve:
        await tidy.free_everyone(urls)
        await wait_quiet(AMQP_URL, queues)
    before = await meter.snapshot()
    await asyncio.sleep(IDLE_SECONDS)
    idle = Cost.between(before, await meter.snapshot())
    arrivals = Arrivals()

    def notified(message: aio_pika.abc.AbstractIncomingMessage) -> str | None:
        data = json.loads(message.body)["data"]
        return data["ticket_id"] if data["cause_event_type"] == "ticket.created.v1" else None

    await arrivals.watch(exchange, "notification.sent.v1", notified)
    turn = iter(range(sys.maxsize))
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=200), timeout=30, headers=access.headers()
    ) as http:

        async def send() -> str:
            # A customer of its own each (one catch-all address would grow one customer
            # document without end), and a client that honours 503 + Retry-After, retrying
            # with the same Idempotency-Key as a real integration would.
            key = uuid.uuid4().hex
            intake = intakes[next(turn) % len(intakes)]
            ticket = {
                "channel": "api",
                "customer": {"email": f"bench-{key[:12]}@example.com"},
                "subject": "Benchmark ticket",
                "body": "Load test",
                "category": "general",
            }
            for _ in range(SHED_RETRIES):
                response = await http.post(
                    f"{intake}/tickets", json=ticket, headers={"Idempotency-Key": key}
                )
                if response.status_code != 503:
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            response.raise_for_status()
            return response.json()["id"]

        results = []
        for rate in rates:
            before = await meter.snapshot()
            result = await drive(rate, seconds, send, arrivals)
            try:
                await wait_quiet(AMQP_URL, queues)
            except TimeoutError as exc:  # report what was measured; later runs would lie
                print(f"stopping after {rate:g}/s: {exc}", file=sys.stderr)
                result.cost = Cost.between(before, await meter.snapshot())
                results.append(result)
                break
            result.cost = Cost.between(before, await meter.snapshot())
            results.append(result)
            if resolve:
                await tidy.free_everyone(urls)
                await wait_quiet(AMQP_URL, queues)
    await arrivals.connection.close()
    return results, idle


def report(name: str, results: list[Result]) -> None:
    for r in results:
        print(
            f"{name:<11} offered {r.offered:7.0f}/s  achieved {r.achieved:7.1f}/s  "
            f"done {r.done:5d}/{r.sent:<5d} p50 {r.percentile(0.5):8.1f} ms  "
            f"p99 {r.percentile(0.99):8.1f} ms"
        )


def report_costs(baseline: list[Result], system: list[Result], idle: Cost, top: int = 15) -> None:
    for b in baseline:
        assert b.cost is not None
        print(f"baseline at {b.offered:5.0f}/s, {b.sent} messages")
        print(cost_tables.cpu_per_item(b.cost, max(b.sent, 1), unit="message"))
    print("\n".join(cost_tables.per_second("idle platform", idle)))
    total: Cost | None = None
    for s in system:
        assert s.cost is not None
        title = f"ticketflow at {s.offered:5.0f}/s, {s.sent} tickets, {s.cost.seconds:.1f} s"
        print("\n".join(cost_tables.round_trips(title, s.cost, max(s.sent, 1))))
        print(cost_tables.cpu_per_item(s.cost, max(s.sent, 1)))
        total = s.cost if total is None else total.plus(s.cost)
    if total is not None:
        tickets = max(sum(s.sent for s in system), 1)
        print("\n".join(cost_tables.contributors(total, tickets, top)))
        print("\n".join(cost_tables.callsites(total, tickets, top)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,10,20,40", help="offered rates, requests/s")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--host", default="127.0.0.1", help="where the four services listen")
    parser.add_argument("--exchange", default=os.environ.get("TICKETFLOW_EXCHANGE", "ticketflow"))
    parser.add_argument(
        "--preload", type=int, default=0, metavar="N", help="first add N resolved tickets"
    )
    parser.add_argument(
        "--keep-tickets", action="store_true", help="resolve no held or queued ticket"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("TICKETFLOW_PROCESSES", "1")),
        help="processes of each service (TICKETFLOW_PROCESSES=N deploy/up)",
    )
    parser.add_argument(
        "--top", type=int, default=15, metavar="N", help="list the N biggest store contributors"
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    processes = process_urls(args.host, args.processes)
    urls = {service: processes[service] for service in PORTS}
    machine = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, python {platform.python_version()}")
    print(f"processes per service: {args.processes}")
    if args.preload:
        import preload

        print(await preload.preload(args.preload, urls, AMQP_URL, args.exchange), flush=True)
    baseline = await run_baseline(rates, args.seconds)
    system, idle = await run_ticketflow(
        rates, args.seconds, processes, args.exchange, resolve=not args.keep_tickets
    )
    report("baseline", baseline)
    report("ticketflow", system)
    for b, s in zip(baseline, system, strict=False):
        print(
            f"at {b.offered:5.0f}/s  ticketflow/baseline: achieved x{s.achieved / b.achieved:.2f}, "
            f"p50 x{s.percentile(0.5) / max(b.percentile(0.5), 1e-9):.1f}, "
            f"p99 x{s.percentile(0.99) / max(b.percentile(0.99), 1e-9):.1f}"
        )
    print(f"(median baseline p50 {statistics.median(b.percentile(0.5) for b in baseline):.1f} ms)")
    report_costs(baseline, system, idle, args.top)


if __name__ == "__main__":
    asyncio.run(main())
