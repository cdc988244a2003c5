"""What happened to a ticket, kept as sets of facts: status changes, messages, handoffs,
priority changes and consults, each a member that commutes with the others. Their order is
told at read time by intake's `sequence`, so any arrival order gives the same timelines."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from reporting.domain.kpis import seconds_between
from ticketflow_shared.events import AuthorKind, TicketStatus, Visibility


class Member(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sequence: int | None = None
    at: datetime

    @property
    def order(self) -> tuple[int, datetime]:
        """Intake's order; an unsequenced fact sorts by its time before every sequenced one."""
        return (-1 if self.sequence is None else self.sequence, self.at)


class Transition(Member):
    """One `ticket.status_changed`: `agent_id`/`department` own the ticket after it."""

    status: TicketStatus
    previous: TicketStatus
    reopened: bool = False
    agent_id: str | None = None
    department: str | None = None

    @property
    def is_reopen(self) -> bool:
        return self.reopened or (not self.previous.is_open and self.status.is_open)


class Message(Member):
    """One message on the thread, without its text: who wrote it, of which kind, when."""

    message_id: str
    author_kind: AuthorKind
    visibility: Visibility
    agent_id: str | None = None
    department: str | None = None

    @property
    def is_public_reply(self) -> bool:
        return self.author_kind is AuthorKind.agent and self.visibility is Visibility.public

    @property
    def is_internal_note(self) -> bool:
        return self.visibility is Visibility.internal

    @property
    def is_from_customer(self) -> bool:
        return self.author_kind is AuthorKind.customer


class Transfer(Member):
    from_department: str | None = None
    to_department: str
    from_agent_id: str | None = None


class PriorityChange(Member):
    priority: str


class Consult(Member):
    consult_id: str
    department: str
    status: str


M = TypeVar("M", bound=Member)


@dataclass(frozen=True)
class Period:
    """A stretch of a ticket's life in one status or with one department; `end` None while
    it lasts."""

    name: str
    start: datetime
    end: datetime | None

    @property
    def seconds(self) -> float | None:
        return seconds_between(self.start, self.end)


def in_order(members: Iterable[M]) -> list[M]:
    return sorted(members, key=lambda member: member.order)


def status_periods(created_at: datetime | None, transitions: Sequence[Transition]) -> list[Period]:
    """The ticket's statuses one after another: from creation in the first change's `previous`,
    then each change's status until the next one. Closed is the end, not a period."""
    ordered = in_order(transitions)
    if not ordered:
        return []
    periods = []
    if created_at is not None:
        periods.append(Period(ordered[0].previous.value, created_at, ordered[0].at))
    for current, following in zip(ordered, [*ordered[1:], None], strict=True):
        if current.status is TicketStatus.closed:
            break
        periods.append(Period(current.status.value, current.at, following and following.at))
    return periods


def ownership_periods(
    first_owner: str | None,
    created_at: datetime | None,
    transfers: Sequence[Transfer],
    ended_at: datetime | None,
) -> list[Period]:
    """Which department owned the ticket when: the first owner from creation, then each
    transfer's receiver until the next transfer; the last until `ended_at` (the last solve of
    a ticket that is done), open-ended while the ticket is still worked on."""
    ordered = in_order(transfers)
    owner, start = first_owner, created_at
    periods = []
    for transfer in ordered:
        if owner is not None and start is not None:
            periods.append(Period(owner, start, transfer.at))
        owner, start = transfer.to_department, transfer.at
    if owner is not None and start is not None:
        end = ended_at if ended_at is not None and ended_at >= start else None
        periods.append(Period(owner, start, end))
    return periods


def total_seconds(periods: Iterable[Period]) -> dict[str, float]:
    """Seconds per name over the periods that ended; one that still lasts is not counted."""
    totals: dict[str, float] = defaultdict(float)
    for period in periods:
        if period.seconds is not None:
            totals[period.name] += period.seconds
    return dict(totals)


def reopens_after_solves(transitions: Sequence[Transition]) -> list[Transition | None]:
    """For each reopen, the solve it undid (None if that change has not arrived)."""
    solved_by: Transition | None = None
    undone = []
    for transition in in_order(transitions):
        if transition.is_reopen:
            undone.append(solved_by)
            solved_by = None
        elif transition.status is TicketStatus.solved:
            solved_by = transition
    return undone


def first_public_reply(messages: Iterable[Message]) -> Message | None:
    replies = [message for message in messages if message.is_public_reply]
    return min(replies, key=lambda message: (message.at, message.message_id), default=None)
