"""Offers: a ticket reserved for one agent, who accepts or declines before it times out.

The reservation itself is the agent's unannounced claim; the offer records what was asked
and how it ended. Pure: no I/O, time passed in.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import uuid4

from ticketflow_shared.events import (
    OfferOutcome,
    Payload,
    Presence,
    TicketOfferedV1,
    TicketOfferEndedV1,
)

MAX_TIMEOUT_SECONDS = 3600
MAX_COOLDOWN_SECONDS = 7 * 24 * 3600


class OfferMode(StrEnum):
    auto_accept = "auto_accept"  # assign at once, as routing always did
    offer = "offer"  # reserve for the agent and wait for an answer


class MissedOfferPresence(StrEnum):
    away = "away"
    offline = "offline"
    none = "none"  # leave the agent's presence as it is


class OfferClosed(ValueError):
    """The offer has ended already, or ran out of time; the message says how."""


@dataclass(frozen=True)
class OfferSettings:
    """A department's offer policy."""

    mode: OfferMode = OfferMode.auto_accept
    timeout_seconds: int = 120
    missed_offer_presence: MissedOfferPresence = MissedOfferPresence.away
    missed_offer_reason: str = "missed offer"
    decline_cooldown_seconds: int = 600

    def __post_init__(self) -> None:
        if not 1 <= self.timeout_seconds <= MAX_TIMEOUT_SECONDS:
            raise ValueError(f"timeout_seconds must be 1-{MAX_TIMEOUT_SECONDS}")
        if not 0 <= self.decline_cooldown_seconds <= MAX_COOLDOWN_SECONDS:
            raise ValueError(f"decline_cooldown_seconds must be 0-{MAX_COOLDOWN_SECONDS}")

    @property
    def offers(self) -> bool:
        return self.mode is OfferMode.offer

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.decline_cooldown_seconds)

    def missed_presence(self) -> Presence | None:
        """The presence an agent who let an offer run out gets; None leaves it alone."""
        if self.missed_offer_presence is MissedOfferPresence.none:
            return None
        return Presence(self.missed_offer_presence.value)


@dataclass
class Offer:
    offer_id: str
    ticket_id: str
    agent_id: str
    department: str | None
    offered_at: datetime
    expires_at: datetime
    outcome: OfferOutcome | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    events: list[Payload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def make(
        cls,
        ticket_id: str,
        agent_id: str,
        department: str | None,
        settings: OfferSettings,
        now: datetime,
    ) -> "Offer":
        """A new offer, recording ticket.offered.v1."""
        expires_at = now + timedelta(seconds=settings.timeout_seconds)
        offer = cls(f"OF-{uuid4().hex}", ticket_id, agent_id, department, now, expires_at)
        offer.events.append(
            TicketOfferedV1(
                ticket_id=ticket_id,
                offer_id=offer.offer_id,
                agent_id=agent_id,
                department=department,
                offered_at=now,
                expires_at=expires_at,
            )
        )
        return offer

    def is_due(self, now: datetime) -> bool:
        return now >= self.expires_at

    def accept(self, now: datetime) -> None:
        if self.outcome is None and self.is_due(now):
            raise OfferClosed(f"offer {self.offer_id} expired at {self.expires_at.isoformat()}")
        self._end(OfferOutcome.accepted, now)

    def decline(self, now: datetime, reason: str | None = None) -> None:
        if self.outcome is None and self.is_due(now):
            raise OfferClosed(f"offer {self.offer_id} expired at {self.expires_at.isoformat()}")
        self._end(OfferOutcome.declined, now, reason)

    def expire(self, now: datetime) -> None:
        if not self.is_due(now):
            raise OfferClosed(f"offer {self.offer_id} runs until {self.expires_at.isoformat()}")
        self._end(OfferOutcome.expired, now, "no answer in time")

    def withdraw(self, now: datetime, reason: str) -> None:
        self._end(OfferOutcome.withdrawn, now, reason)

    def _end(self, outcome: OfferOutcome, now: datetime, reason: str | None = None) -> None:
        if self.outcome is not None:
            raise OfferClosed(f"offer {self.offer_id} was {self.outcome.value} already")
        self.outcome, self.ended_at, self.reason = outcome, now, reason
        self.events.append(
            TicketOfferEndedV1(
                ticket_id=self.ticket_id,
                offer_id=self.offer_id,
                agent_id=self.agent_id,
                outcome=outcome,
                reason=reason,
                ended_at=now,
            )
        )

    def ended_as(self, other: "Offer") -> "Offer":
        """This offer as `other` (the stored outcome) ended it."""
        return replace(self, outcome=other.outcome, ended_at=other.ended_at, reason=other.reason)

    def pull_events(self) -> list[Payload]:
        events, self.events = self.events, []
        return events


def keeps_away(outcome: OfferOutcome) -> bool:
    """Whether the agent is not offered the ticket again for the cooldown after `outcome`.

    An unanswered offer counts as a decline: with `missed_offer_presence` `none` the agent
    stays available and would otherwise be offered the same ticket straight away.
    """
    return outcome in (OfferOutcome.declined, OfferOutcome.expired)


@dataclass(frozen=True)
class Cooldown:
    agent_id: str
    until: datetime


def recent(cooldowns: list[Cooldown], now: datetime) -> set[str]:
    """Agents whose cooldown for a ticket still runs at `now`."""
    return {c.agent_id for c in cooldowns if c.until > now}


def with_cooldown(cooldowns: list[Cooldown], added: Cooldown, now: datetime) -> list[Cooldown]:
    """`cooldowns` with `added` (replacing that agent's earlier one), the ended ones dropped."""
    kept = [c for c in cooldowns if c.until > now and c.agent_id != added.agent_id]
    return [*kept, added] if added.until > now else kept
