"""Offers per agent and department: how many were offered, accepted, declined, expired
(withdrawn ones count for neither side), the acceptance rate and the median time to accept."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from reporting.domain.kpis import percentile, ratio, seconds_between
from reporting.domain.routing_facts import Offer, OfferEnd
from reporting.domain.tickets import TicketRow

NONE = "(none)"
OUTCOMES = ("accepted", "declined", "expired", "withdrawn")


@dataclass(frozen=True)
class OfferLife:
    """One offer: what was offered, and how it ended (None while it stands)."""

    offer_id: str
    agent_id: str
    department: str
    offered: Offer | None
    ended: OfferEnd | None


class OfferStats(BaseModel):
    agent_id: str | None = None
    department: str
    offered: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    withdrawn: int = 0
    acceptance_rate: float | None = None  # accepted / (accepted + declined + expired)
    median_seconds_to_accept: float | None = None


class OfferReport(BaseModel):
    totals: OfferStats
    by_agent: list[OfferStats]
    by_department: list[OfferStats]


def offer_lives(row: TicketRow) -> list[OfferLife]:
    """The ticket's offers by id; an end that came before its offer still counts."""
    offered = {o.offer_id: o for o in row.offers}
    ended = {e.offer_id: e for e in row.offer_ends}
    lives = []
    for offer_id in sorted(set(offered) | set(ended)):
        start, end = offered.get(offer_id), ended.get(offer_id)
        agent = (start or end).agent_id  # one of them is there
        department = (start.department if start else None) or row.owning_department or NONE
        lives.append(OfferLife(offer_id, agent, department, start, end))
    return lives


def offer_report(rows: Sequence[TicketRow]) -> OfferReport:
    lives = [life for row in rows for life in offer_lives(row)]
    by_agent: dict[tuple[str, str], list[OfferLife]] = defaultdict(list)
    by_department: dict[str, list[OfferLife]] = defaultdict(list)
    for life in lives:
        by_agent[(life.agent_id, life.department)].append(life)
        by_department[life.department].append(life)
    return OfferReport(
        totals=_stats(lives, department="(all)"),
        by_agent=[
            _stats(found, department=department, agent_id=agent)
            for (agent, department), found in sorted(by_agent.items())
        ],
        by_department=[
            _stats(found, department=department)
            for department, found in sorted(by_department.items())
        ],
    )


def _stats(
    lives: Iterable[OfferLife], *, department: str, agent_id: str | None = None
) -> OfferStats:
    lives = list(lives)
    counts = {outcome: 0 for outcome in OUTCOMES}
    waits = []
    for life in lives:
        if life.ended is None:
            continue
        counts[life.ended.outcome] = counts.get(life.ended.outcome, 0) + 1
        if life.ended.outcome == "accepted" and life.offered is not None:
            waits.append(seconds_between(life.offered.at, life.ended.at) or 0.0)
    answered = counts["accepted"] + counts["declined"] + counts["expired"]
    median = percentile(waits, 0.5)
    return OfferStats(
        agent_id=agent_id,
        department=department,
        offered=sum(1 for life in lives if life.offered is not None),
        **counts,
        acceptance_rate=ratio(counts["accepted"], answered),
        median_seconds_to_accept=None if median is None else round(median, 3),
    )
