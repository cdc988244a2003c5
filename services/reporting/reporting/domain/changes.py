"""One event's change to a ticket row, and what applying it means (the Mongo adapter sends
the same as single-document updates; see `reporting.domain.tickets` for the row)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketflow_shared.events import is_newer

NOTIFIED = "notified"  # the notification ids a row counted
APPLIED_FACTS = "applied_facts"  # the keys of the intake events whose facts a row took


@dataclass(frozen=True)
class TicketChange:
    """One event's contribution to a ticket row.

    `state` is the producer's word after the event, kept only if `sequence` is above the
    producer's mark. An event that says nothing about where the ticket stands is taken once by
    its key (`once`, remembered in the row's `once_in` list) and adds `counts` then. The facts
    (`facts`, `earliest`, `latest`, `members`) are kept from every event.
    """

    ticket_id: str
    producer: str
    sequence: int | None = None
    state: Mapping[str, Any] | None = None
    once: str | None = None
    once_in: str = NOTIFIED
    counts: Mapping[str, int] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    earliest: Mapping[str, datetime] = field(default_factory=dict)
    latest: Mapping[str, datetime] = field(default_factory=dict)
    members: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stream_state(self) -> dict[str, Any] | None:
        """`state` as stored under `streams.<producer>`, its sequence included when known."""
        if self.state is None:
            return None
        if self.sequence is None:
            return dict(self.state)
        return {**self.state, "sequence": self.sequence}


def moves_on(row: Mapping[str, Any] | None, change: TicketChange) -> bool:
    """Whether `change` is news to `row`: a producer's newer word, or a fact not taken yet."""
    if change.once is not None:
        return change.once not in (row or {}).get(change.once_in, [])
    if change.state is None:
        return False
    return is_newer(change.sequence, applied_sequence(row, change.producer))


def applied_sequence(row: Mapping[str, Any] | None, producer: str) -> int | None:
    """The highest sequence from `producer` this row applied, None if none was."""
    stream = ((row or {}).get("streams") or {}).get(producer) or {}
    return stream.get("sequence")


def apply_change(
    row: Mapping[str, Any] | None, change: TicketChange
) -> tuple[dict[str, Any], bool]:
    """The row after `change`, and whether it moved the row on (False: only its facts were
    kept, being a repeat or a late event).

    This is the meaning of the single-document updates the Mongo adapter sends; the in-memory
    fake uses it, and the unit tests prove its order independence here.
    """
    state: dict[str, Any] = dict(row or {"ticket_id": change.ticket_id})
    news = moves_on(row, change)
    state.update(change.facts)
    for name, value in change.earliest.items():
        state[name] = value if state.get(name) is None else min(state[name], value)
    for name, value in change.latest.items():
        state[name] = value if state.get(name) is None else max(state[name], value)
    for name, value in change.members.items():
        members = list(state.get(name, []))
        state[name] = members if value in members else [*members, value]
    if news:
        if change.stream_state is not None:
            state["streams"] = {**state.get("streams", {}), change.producer: change.stream_state}
        if change.once is not None:
            state[change.once_in] = [*state.get(change.once_in, []), change.once]
        for name, count in change.counts.items():
            state[name] = state.get(name, 0) + count
        state["events_applied"] = state.get("events_applied", 0) + 1
    return state, news


def marks_of(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parts of a row that decide whether a change is news (`moves_on`): each
    producer's sequence and the keys taken once."""
    row = row or {}
    streams = {
        producer: {"sequence": stream["sequence"]} if "sequence" in (stream or {}) else {}
        for producer, stream in (row.get("streams") or {}).items()
    }
    marks: dict[str, Any] = {"streams": streams}
    for name in (NOTIFIED, APPLIED_FACTS):
        if name in row:
            marks[name] = list(row[name])
    return marks


def marks_after(marks: Mapping[str, Any], change: TicketChange) -> dict[str, Any]:
    """`marks` once `change` is applied: what `apply_change` does to those parts of a row."""
    after = {key: list(value) if isinstance(value, list) else value for key, value in marks.items()}
    if not moves_on(marks, change):
        return after
    if change.state is not None:
        stream = {} if change.sequence is None else {"sequence": change.sequence}
        after["streams"] = {**after.get("streams", {}), change.producer: stream}
    if change.once is not None:
        after[change.once_in] = [*after.get(change.once_in, []), change.once]
    return after
