"""What one service process costs: store commands it sends and CPU it burns, as `GET /metrics`.

A PyMongo command listener, registered by `mongo_client` on the service's client, counts
every store command by name and collection and sums the time each took to answer. Counting
is a couple of dict operations on the event loop's thread; the Prometheus families are built
only when `/metrics` is read. CPU time comes from prometheus_client's process collector
(`process_cpu_seconds_total`, user + system, from `/proc/self/stat`), plus the service's
child processes (notify renders in workers).

On FerretDB the store layer (`serialized.py`, `store_locks.py`) adds commands of its own (a
read before a conditional update, lock inserts and deletes) and answers some of the code's
writes without sending them (an update whose conditions the read showed missing). Both are
counted apart too, so that what the code itself would send to MongoDB can be told: all
commands, less those the layer added, plus those it answered here.

With `TICKETFLOW_STORE_CALLSITES=true` each command is also counted by where in ticketflow's
code it was sent from (the innermost project frames outside the store layer), to tell which
code path a round trip belongs to. Walking the stack costs tens of microseconds a command, so
it is off unless asked for (the bench's profile runs).
"""

import contextlib
import os
import resource
import sys
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo import monitoring

from ticketflow_shared.contextual import setting

_PROC = Path("/proc")
# A command's first key names it; for most its value is the collection, for these it is not.
_COLLECTION_FIELD = {"getMore": "collection"}
_ADDED_BY_LAYER: ContextVar[bool] = ContextVar("added_by_store_layer", default=False)
# Frames of these files are the store plumbing, not the code path a command belongs to.
_PLUMBING = ("serialized.py", "store_locks.py", "metrics.py")
_CALLSITE_FRAMES = 3


def added_by_store_layer() -> contextlib.AbstractContextManager[None]:
    """Commands sent inside are the FerretDB layer's own, not the code's."""
    return setting(_ADDED_BY_LAYER, True)


class StoreCommands(monitoring.CommandListener):
    """Counts every command this process sends to the store, by (command, collection), and
    the time until its reply: a count alone hides the one command that scans a collection."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.micros: Counter[tuple[str, str]] = Counter()
        self.added: Counter[tuple[str, str]] = Counter()  # by the FerretDB layer, in `counts`
        self.answered: Counter[tuple[str, str]] = Counter()  # the code's, never sent
        self.callsites: Counter[tuple[str, str, str]] | None = None  # on when asked for
        self._in_flight: dict[tuple[int, object], tuple[str, str]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get(_COLLECTION_FIELD.get(name, name))
        key = (name, target if isinstance(target, str) else "")
        self.counts[key] += 1
        if _ADDED_BY_LAYER.get():
            self.added[key] += 1
        if self.callsites is not None:
            self.callsites[(*key, _callsite())] += 1
        self._in_flight[event.request_id, event.connection_id] = key

    def answered_by_layer(self, command: str, collection: str) -> None:
        """The FerretDB layer answered this command of the code's without sending it."""
        self.answered[command, collection] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finished(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finished(event)

    def _finished(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent):
        key = self._in_flight.pop((event.request_id, event.connection_id), None)
        if key is not None:
            self.micros[key] += event.duration_micros


def _callsite() -> str:
    """`file:line:function` of the innermost project frames sending the current command."""
    frames, frame = [], sys._getframe(2)
    while frame is not None and len(frames) < _CALLSITE_FRAMES:
        path = frame.f_code.co_filename
        if ("/services/" in path or "/ticketflow_shared/" in path) and not path.endswith(_PLUMBING):
            frames.append(f"{path.rsplit('/', 1)[-1]}:{frame.f_lineno}:{frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(frames) or "-"


class StoreCommandsCollector(Collector):
    def __init__(self, commands: StoreCommands) -> None:
        self.commands = commands

    def collect(self) -> Iterator[Metric]:
        for name, documentation, attribute, scale in _STORE_FAMILIES:
            family = CounterMetricFamily(name, documentation, labels=["command", "collection"])
            for (command, collection), value in sorted(getattr(self.commands, attribute).items()):
                family.add_metric([command, collection], value * scale)
            yield family
        if self.commands.callsites is not None:
            family = CounterMetricFamily(
                "ticketflow_store_command_callsites",
                "Commands this process sent to the store, by where in the code they came from",
                labels=["command", "collection", "callsite"],
            )
            for labels, value in sorted(self.commands.callsites.items()):
                family.add_metric(list(labels), value)
            yield family


# Name, help, the StoreCommands counter it shows, and the factor to its unit.
_STORE_FAMILIES = (
    (
        "ticketflow_store_commands",
        "Commands this process sent to the store (each is one round trip)",
        "counts",
        1,
    ),
    (
        "ticketflow_store_command_seconds",
        "Time from sending each command to its reply, summed, in seconds",
        "micros",
        1e-6,
    ),
    (
        "ticketflow_store_layer_commands",
        "Of the commands sent, those FerretDB's store layer added (reads, locks)",
        "added",
        1,
    ),
    (
        "ticketflow_store_layer_answered",
        "Commands of the code that FerretDB's store layer answered without sending",
        "answered",
        1,
    ),
)


class ChildProcessesCollector(Collector):
    """CPU of this process's descendants, live ones read from /proc and reaped ones included."""

    def collect(self) -> Iterator[Metric]:
        if not _PROC.is_dir():
            return
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = reaped.ru_utime + reaped.ru_stime
        ticks = os.sysconf("SC_CLK_TCK")
        for stat in descendant_stats(os.getpid()):
            # utime, stime, and what their own reaped children used.
            seconds += sum(int(stat[i]) for i in (13, 14, 15, 16)) / ticks
        family = CounterMetricFamily(
            "ticketflow_child_processes_cpu_seconds",
            "User and system CPU time of this process's child processes, in seconds",
        )
        family.add_metric([], seconds)
        yield family


def descendant_stats(pid: int) -> list[list[str]]:
    """`/proc/<pid>/stat` fields of every live descendant of `pid` (field 0 is the pid)."""
    by_parent: dict[int, list[list[str]]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        fields = [entry.name, "", *text[text.rindex(")") + 2 :].split()]
        by_parent.setdefault(int(fields[3]), []).append(fields)
    found, parents = [], [pid]
    while parents:
        children = [stat for parent in parents for stat in by_parent.get(parent, [])]
        found += children
        parents = [int(stat[0]) for stat in children]
    return found


STORE_COMMANDS = StoreCommands()
REGISTRY.register(StoreCommandsCollector(STORE_COMMANDS))
REGISTRY.register(ChildProcessesCollector())


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    # Open like every other route today; once access control lands it needs the same
    # protection as the rest (it tells which collections exist and how busy they are).
    @router.get(
        "/metrics",
        summary="Store commands and CPU time, Prometheus text format",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
