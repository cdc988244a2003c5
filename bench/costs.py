"""What a stretch of load cost: store round trips per service and CPU time per process.

The services count their own store commands and CPU time (`GET /metrics`, see
`ticketflow_shared.metrics`); the broker, the store, the mail catcher and this process are
read from `/proc/<pid>/stat`. A `Snapshot` is taken before and after a run, and the
difference divided by the run's tickets.
"""

import asyncio
import os
import resource
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx
from prometheus_client.parser import text_string_to_metric_families

import access

SERVICES = ("intake", "routing", "notify", "reporting")
RUN_DIR = Path(os.environ.get("TICKETFLOW_HOME", Path.home() / ".cache/ticketflow")) / "run"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
Commands = Counter[tuple[str, str]]  # (command, collection) -> count
# `/metrics` samples read, by the `Snapshot`/`Cost` field each goes to: commands sent, seconds
# until answered, those of the sent that FerretDB's store layer added, and the code's
# commands that layer answered without sending.
COUNTERS = {
    "ticketflow_store_commands_total": "commands",
    "ticketflow_store_command_seconds_total": "waited",
    "ticketflow_store_layer_commands_total": "layer",
    "ticketflow_store_layer_answered_total": "answered",
}


def _pid_file(name: str) -> int | None:
    try:
        return int((RUN_DIR / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_named(command: str) -> int | None:
    """The oldest live process whose command name is `command`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return min(found, default=None)


def server_pids() -> dict[str, int | None]:
    """Broker, store and mail catcher as `deploy/infra.sh` runs them."""
    return {
        "rabbitmq": _pid_file("rabbitmq") or pid_named("beam.smp"),
        "ferretdb": _pid_file("ferretdb") or pid_named("ferretdb"),
        "smtp": _pid_file("smtp"),
    }


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (not its children), or None if it is gone."""
    if pid == os.getpid():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # fields[0] is the state (man field 3)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


CALLSITES = "ticketflow_store_command_callsites_total"


def parse_metrics(text: str) -> tuple[dict[str, Commands], float, float]:
    """Store command counters by family (see `COUNTERS`, and `callsites` where the service
    counts them: keyed (command, collection, where in the code)), own CPU seconds and
    children's CPU seconds, from `/metrics`."""
    counters: dict[str, Commands] = {name: Counter() for name in (*COUNTERS.values(), "callsites")}
    cpu = children = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == CALLSITES:
                labels = sample.labels
                where = labels["command"], labels["collection"], labels["callsite"]
                counters["callsites"][where] += sample.value  # type: ignore[index]
            elif sample.name in COUNTERS:
                key = sample.labels["command"], sample.labels["collection"]
                counters[COUNTERS[sample.name]][key] += sample.value
            elif sample.name == "process_cpu_seconds_total":
                cpu = sample.value
            elif sample.name == "ticketflow_child_processes_cpu_seconds_total":
                children = sample.value
    return counters, cpu, children


@dataclass
class Snapshot:
    at: float
    commands: dict[str, Commands] = field(default_factory=dict)  # by service
    waited: dict[str, Commands] = field(default_factory=dict)  # seconds until answered
    layer: dict[str, Commands] = field(default_factory=dict)
    answered: dict[str, Commands] = field(default_factory=dict)
    callsites: dict[str, Commands] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # seconds, by process name


class Meter:
    """Reads every service's counters and every process's CPU time at one moment."""

    def __init__(self, urls: Mapping[str, str], pids: Mapping[str, int | None]) -> None:
        self.urls = dict(urls)
        self.pids = {name: pid for name, pid in pids.items() if pid}

    async def snapshot(self) -> Snapshot:
        snap = Snapshot(at=time.perf_counter())
        async with httpx.AsyncClient(timeout=10, headers=access.headers()) as http:
            texts = await asyncio.gather(*(http.get(f"{u}/metrics") for u in self.urls.values()))
        for name, response in zip(self.urls, texts, strict=True):
            response.raise_for_status()
            counters, cpu, children = parse_metrics(response.text)
            service = name.split("#", 1)[0]  # `intake#2`: a second intake, counted with it
            for field_name, counts in counters.items():
                by_service = getattr(snap, field_name)
                by_service[service] = by_service.get(service, Counter()) + counts
            snap.cpu[name] = cpu
            if children:
                snap.cpu[f"{name} workers"] = children
        for name, pid in self.pids.items():
            seconds = proc_cpu_seconds(pid)
            if seconds is not None:
                snap.cpu[name] = seconds
        return snap


@dataclass
class Cost:
    """What happened between two snapshots."""

    seconds: float
    commands: dict[str, Commands]
    waited: dict[str, Commands]
    cpu: dict[str, float]
    layer: dict[str, Commands] = field(default_factory=dict)
    answered: dict[str, Commands] = field(default_factory=dict)
    callsites: dict[str, Commands] = field(default_factory=dict)

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot) -> "Cost":
        cpu = {name: after.cpu[name] - before.cpu.get(name, 0.0) for name in after.cpu}
        return cls(
            after.at - before.at,
            _minus(after.commands, before.commands),
            _minus(after.waited, before.waited),
            cpu,
            _minus(after.layer, before.layer),
            _minus(after.answered, before.answered),
            _minus(after.callsites, before.callsites),
        )

    def plus(self, other: "Cost") -> "Cost":
        return Cost(
            self.seconds + other.seconds,
            _plus(self.commands, other.commands),
            _plus(self.waited, other.waited),
            {n: self.cpu.get(n, 0.0) + other.cpu.get(n, 0.0) for n in {*self.cpu, *other.cpu}},
            _plus(self.layer, other.layer),
            _plus(self.answered, other.answered),
            _plus(self.callsites, other.callsites),
        )

    def by_command(self, service: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (command, _), count in self.commands.get(service, Counter()).items():
            counts[command] += count
        return counts

    def as_code_sends(self, service: str) -> float:
        """The service's commands as the code sends them, which is what MongoDB would get:
        those sent, less the FerretDB layer's own, plus the code's it answered unsent."""

        def total(by_service: dict[str, Commands]) -> float:
            return sum(by_service.get(service, Counter()).values())

        return total(self.commands) - total(self.layer) + total(self.answered)


def _minus(after: dict[str, Commands], before: dict[str, Commands]) -> dict[str, Commands]:
    return {service: after[service] - before.get(service, Counter()) for service in after}


def _plus(one: dict[str, Commands], other: dict[str, Commands]) -> dict[str, Commands]:
    empty: Commands = Counter()
    return {s: one.get(s, empty) + other.get(s, empty) for s in {*one, *other}}


async def wait_quiet(
    amqp_url: str, queues: list[str], settle: float = 1.0, limit: float = 300
) -> None:
    """Wait until the services' queues hold no ready message for `settle` seconds."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        deadline = time.perf_counter() + limit
        quiet_since = None
        while time.perf_counter() < deadline:
            depths = []
            for name in queues:
                queue = await channel.declare_queue(name, passive=True)
                depths.append(queue.declaration_result.message_count or 0)
            now = time.perf_counter()
            if any(depths):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the services' queues were not empty for {limit:.0f} s: {depths}")
    finally:
        await connection.close()
