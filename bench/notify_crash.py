"""`kill -9` of notify under load: which emails customers get twice, and whether any is lost.

Offers `--tickets` tickets at `--rate` a second through intake (`POST /tickets`, an
Idempotency-Key and a customer address of its own each; a 5xx is asked again with the same key,
a 503 after its Retry-After) and, once `--kill-at` of them are sent, sends SIGKILL to notify
(the pid `deploy/up` keeps in .run/notify.pid), waits `--pause` seconds and runs
`deploy/up --detach`, which starts only what is not running; the offering goes on meanwhile.
It then waits (at most `--wait` seconds) until notify has recorded every email the tickets'
events call for (`notification.sent.v1`: one per `ticket.created` and `ticket.assigned` of the
bench's tickets, what the default templates send) and the queues are empty, and prints what the
customers got (mail_tally.py): tickets sent and accepted; emails expected and received; emails
received more than once, by kind, and whether every copy carried its first copy's Message-ID;
whether the delivery log holds exactly one `sent` entry per email and how many it flags
`possibly_duplicated`; how long emails sat between the mail server's accept and their record,
and how many did so at an average moment (what a crash then would send again); how long notify
was down (the kill until its /readyz answers). The same run without the kill comes first
(`--no-baseline` skips it). Before, between and after the runs every ticket routing holds or
queues is resolved (tidy.py), so each run starts with free agents.
Run the platform first (`deploy/up --detach`), then `.venv/bin/python bench/notify_crash.py`,
with the environment the platform was started with (the restarted notify inherits it).
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import httpx
import mail_tally
import tidy
from costs import SERVICES, wait_quiet

import access

ROOT = Path(__file__).resolve().parents[1]
PID_FILE = ROOT / ".run" / "notify.pid"  # where deploy/up keeps notify's pid
AMQP_URL = os.environ.get("TICKETFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
QUEUES = [f"{os.environ.get('TICKETFLOW_QUEUE_PREFIX', '')}{s}.events" for s in SERVICES]
PORTS = {"intake": 8001, "routing": 8002, "notify": 8003, "reporting": 8004}
EMAILED = ("ticket.created.v1", "ticket.assigned.v1")  # what the default templates send
SENT = "notification.sent.v1"
RETRIES = 30


@dataclass
class Outage:
    """Epoch seconds: notify killed, started again by deploy/up, ready again."""

    killed: float
    started: float = 0.0
    ready: float = 0.0


class Announced:
    """What the bus says: the emails the tickets' events call for, and when each was recorded."""

    def __init__(self) -> None:
        self.expected: mail_tally.Expected = {}
        self.created: set[str] = set()
        self.recorded: dict[str, float] = {}  # notification id -> epoch seconds

    async def watch(self, exchange: str) -> None:
        self.connection = await aio_pika.connect(AMQP_URL)
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=500)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        topic = await channel.get_exchange(exchange)
        for routing_key in (*EMAILED, SENT):
            await queue.bind(topic, routing_key=routing_key)
        await queue.consume(self._take)

    async def _take(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        event = json.loads(message.body)
        data = event["data"]
        if event["type"] == SENT:
            self.recorded.setdefault(data["notification_id"], time.time())
        else:  # notify's delivery id for the event, see notify.domain.deliveries
            self.expected[f"{event['id']}:email"] = (data["ticket_id"], event["type"])
            if event["type"] == EMAILED[0]:
                self.created.add(data["ticket_id"])
        await message.ack()

    def of(self, tickets: set[str]) -> mail_tally.Expected:
        return {n: seen for n, seen in self.expected.items() if seen[0] in tickets}

    def complete(self, tickets: set[str]) -> bool:
        return tickets <= self.created and self.of(tickets).keys() <= self.recorded.keys()


async def offer_ticket(
    intake: httpx.AsyncClient, address: str, answers: Counter[int]
) -> str | None:
    """The ticket's id, or None if intake never accepted it; `answers` counts the statuses
    retried on the way."""
    key = uuid.uuid4().hex
    ticket = {
        "channel": "api",
        "customer": {"email": address},
        "subject": "Crash bench ticket",
        "body": "Load test",
        "category": "general",
    }
    for _ in range(RETRIES):
        try:
            response = await intake.post("/tickets", json=ticket, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            wait = 1.0  # the same key again: a replay if the first one made the ticket
        else:
            if response.status_code < 500:
                return response.json()["id"] if response.is_success else None
            # 503 says when; any other 5xx may have made the ticket: the key makes it a replay.
            answers[response.status_code] += 1
            wait = float(response.headers.get("retry-after", "1"))
        await asyncio.sleep(wait)
    return None


async def offer_all(
    urls: dict[str, str], args: argparse.Namespace, crash: bool
) -> tuple[dict[str, str | None], float, Outage | None]:
    """Offer the tickets on schedule, killing notify on the way if `crash`: each address's
    ticket id, when the offering began (epoch seconds), and notify's outage."""
    tag = uuid.uuid4().hex[:8]
    kill_after = int(args.tickets * args.kill_at) if crash else None
    sends, outage, answers = {}, None, Counter()
    async with httpx.AsyncClient(
        base_url=urls["intake"],
        timeout=30,
        headers=access.headers(),
        limits=httpx.Limits(max_connections=200),
    ) as intake:
        began, start = time.time(), time.perf_counter() + 0.2
        for i in range(args.tickets):
            await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
            if i == kill_after:
                outage = asyncio.create_task(crash_notify(urls["notify"], args.pause))
            address = f"crash-{tag}-{i:04d}@example.com"
            sends[address] = asyncio.create_task(offer_ticket(intake, address, answers))
        await asyncio.gather(*sends.values())
    if answers:
        print(f"  intake answered, and was asked again: {dict(sorted(answers.items()))}")
    offered = {address: send.result() for address, send in sends.items()}
    return offered, began, (await outage if outage else None)


def notify_pid() -> int:
    pid = int(PID_FILE.read_text().split()[0])
    if b"notify.bootstrap" not in Path(f"/proc/{pid}/cmdline").read_bytes():
        raise SystemExit(f"pid {pid} in {PID_FILE} is not notify")  # a stale file kills nothing
    return pid


async def crash_notify(notify_url: str, pause: float) -> Outage:
    """SIGKILL notify and, `pause` s later, start it again the way an operator would."""
    pid = notify_pid()
    os.kill(pid, signal.SIGKILL)
    outage = Outage(killed=time.time())
    await asyncio.sleep(pause)
    up = await asyncio.create_subprocess_exec(
        str(ROOT / "deploy" / "up"),
        "--detach",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    waiting = asyncio.gather(until_restarted(pid), until_ready(notify_url))
    _, errors = await up.communicate()
    if up.returncode:
        waiting.cancel()
        raise SystemExit(f"deploy/up --detach failed:\n{errors.decode()[-2000:]}")
    outage.started, outage.ready = await waiting
    return outage


async def until_restarted(old_pid: int) -> float:
    """When deploy/up wrote another pid for notify."""
    while True:
        try:
            if int(PID_FILE.read_text().split()[0]) != old_pid:
                return time.time()
        except (OSError, ValueError, IndexError):
            pass  # being written
        await asyncio.sleep(0.1)


async def until_ready(url: str) -> float:
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return time.time()
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.1)


async def settle(announced: Announced, tickets: set[str], limit: float) -> bool:
    """Wait until every email the tickets call for is recorded sent and the queues are empty."""
    deadline = time.perf_counter() + limit
    while True:
        while not announced.complete(tickets):
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.5)
        try:
            await wait_quiet(AMQP_URL, QUEUES, settle=3.0, limit=deadline - time.perf_counter())
        except TimeoutError:
            return False
        if announced.complete(tickets):  # nothing was assigned meanwhile
            return True


async def run(
    name: str, crash: bool, urls: dict[str, str], args: argparse.Namespace
) -> mail_tally.Figures:
    print(f"{name}:", flush=True)
    announced = Announced()
    await announced.watch(args.exchange)
    try:
        offered, began, outage = await offer_all(urls, args, crash)
        tickets = {ticket_id for ticket_id in offered.values() if ticket_id}
        settled = await settle(announced, tickets, args.wait)
        messages = await mail_tally.read_mail(set(offered))
        log = await mail_tally.read_log(urls["notify"], tickets)
    finally:
        await announced.connection.close()
    expected = announced.of(tickets)
    figures = mail_tally.tally(name, len(offered), expected, announced.recorded, messages, log)
    if not settled:
        print(f"  not settled within {args.wait:g} s: the figures are what had happened by then")
    end = max((announced.recorded[n] for n in expected if n in announced.recorded), default=began)
    mail_tally.report(figures, exposure(figures, began, end, outage), downtime(outage))
    return figures


def exposure(figures: mail_tally.Figures, began: float, end: float, outage: Outage | None) -> str:
    def between(start: float, stop: float) -> str:
        low, high = (mail_tally.exposed_on_average(figures, start, stop, u) for u in (False, True))
        return f"{low:.2f} to {high:.2f}"

    if outage is None:
        return f"{between(began, end)} over the run"
    drain = between(outage.ready, end)
    return f"{between(began, outage.killed)} before the kill, {drain} from the restart to the end"


def downtime(outage: Outage | None) -> str:
    if outage is None:
        return "-"
    return (
        f"{outage.ready - outage.killed:.1f} s (deploy/up started it "
        f"{outage.started - outage.killed:.1f} s after the kill, ready "
        f"{outage.ready - outage.started:.1f} s later)"
    )


async def tidy_up(urls: dict[str, str]) -> None:
    for _ in range(3):
        try:
            await tidy.free_everyone(urls)
            break
        except httpx.HTTPStatusError as exc:  # what is left is resolved on the next pass
            print(f"  tidying: {exc.response.status_code} for {exc.request.url}, again")
    await wait_quiet(AMQP_URL, QUEUES)


def machine() -> str:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return f"{platform.platform()}, {os.cpu_count()} cores, load average {load}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--rate", type=float, default=8, help="tickets offered a second")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share sent before the kill")
    parser.add_argument("--pause", type=float, default=2, help="seconds before the restart")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for the mail")
    parser.add_argument("--no-baseline", action="store_true", help="only the run with the kill")
    parser.add_argument("--host", default="127.0.0.1", help="where the four services listen")
    parser.add_argument("--exchange", default=os.environ.get("TICKETFLOW_EXCHANGE", "ticketflow"))
    args = parser.parse_args()
    urls = {service: f"http://{args.host}:{port}" for service, port in PORTS.items()}
    print(f"machine: {machine()}")
    print(f"{args.tickets} tickets at {args.rate:g}/s, the kill after {args.kill_at:.0%} of them")
    await tidy_up(urls)
    runs = [] if args.no_baseline else [("baseline, no kill", False)]
    results = []
    for name, crash in [*runs, ("kill -9 of notify", True)]:
        results.append(await run(name, crash, urls, args))
        await tidy_up(urls)
    print(f"machine after: {machine()}")
    extra = (f"{f.name} {100 * f.extra / max(f.expected.total(), 1):.2f}" for f in results)
    print("extra copies per 100 emails expected:", ", ".join(extra))


if __name__ == "__main__":
    asyncio.run(main())
