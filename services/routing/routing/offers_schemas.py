"""HTTP shapes of offers and of a department's offer settings."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from routing.domain.offers import (
    MAX_COOLDOWN_SECONDS,
    MAX_TIMEOUT_SECONDS,
    MissedOfferPresence,
    Offer,
    OfferMode,
    OfferSettings,
)
from ticketflow_shared.events import OfferOutcome

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OfferSettingsBody(BaseModel):
    """How a department's tickets reach its agents: assigned at once, or offered first."""

    model_config = ConfigDict(extra="forbid")

    mode: OfferMode = OfferMode.auto_accept
    timeout_seconds: int = Field(default=120, ge=1, le=MAX_TIMEOUT_SECONDS)
    missed_offer_presence: MissedOfferPresence = MissedOfferPresence.away
    missed_offer_reason: Reason = "missed offer"
    decline_cooldown_seconds: int = Field(default=600, ge=0, le=MAX_COOLDOWN_SECONDS)

    def settings(self) -> OfferSettings:
        return OfferSettings(**self.model_dump())

    @classmethod
    def of(cls, settings: OfferSettings) -> "OfferSettingsBody":
        return cls(
            mode=settings.mode,
            timeout_seconds=settings.timeout_seconds,
            missed_offer_presence=settings.missed_offer_presence,
            missed_offer_reason=settings.missed_offer_reason,
            decline_cooldown_seconds=settings.decline_cooldown_seconds,
        )


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class OfferRead(BaseModel):
    offer_id: str
    ticket_id: str
    agent_id: str
    department: str | None = None
    offered_at: datetime
    expires_at: datetime
    status: OfferOutcome | None = Field(description="null while the offer waits for an answer")
    ended_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def of(cls, offer: Offer) -> "OfferRead":
        return cls(
            offer_id=offer.offer_id,
            ticket_id=offer.ticket_id,
            agent_id=offer.agent_id,
            department=offer.department,
            offered_at=offer.offered_at,
            expires_at=offer.expires_at,
            status=offer.outcome,
            ended_at=offer.ended_at,
            reason=offer.reason,
        )


class OfferList(BaseModel):
    data: list[OfferRead]
    count: int
