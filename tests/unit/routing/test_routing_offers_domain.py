"""The offer aggregate on a fake clock: its timeout, the decline cooldown, and answers that
come too late; and a department's offer settings as the API takes them."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from routing.domain.offers import (
    Cooldown,
    MissedOfferPresence,
    Offer,
    OfferClosed,
    OfferMode,
    OfferSettings,
    keeps_away,
    recent,
    with_cooldown,
)
from routing.schemas import DepartmentUpdate
from ticketflow_shared.events import (
    OfferOutcome,
    Presence,
    TicketOfferedV1,
    TicketOfferEndedV1,
)
from ticketflow_shared.testing import FakeClock

OFFERING = OfferSettings(mode=OfferMode.offer, timeout_seconds=30, decline_cooldown_seconds=600)


def offered(clock: FakeClock, settings: OfferSettings = OFFERING) -> Offer:
    offer = Offer.make("T-1", "ana", "billing", settings, clock.now())
    offer.pull_events()
    return offer


def test_an_offer_records_ticket_offered_with_its_deadline():
    clock = FakeClock()
    offer = Offer.make("T-1", "ana", "billing", OFFERING, clock.now())

    [event] = offer.pull_events()

    assert isinstance(event, TicketOfferedV1)
    assert (event.offer_id, event.agent_id, event.department) == (offer.offer_id, "ana", "billing")
    assert event.expires_at - event.offered_at == timedelta(seconds=30)
    assert offer.offer_id.startswith("OF-") and offer.outcome is None


def test_accepted_in_time_it_records_its_end_once():
    clock = FakeClock()
    offer = offered(clock)
    clock.advance(29)

    offer.accept(clock.now())

    [event] = offer.pull_events()
    assert isinstance(event, TicketOfferEndedV1) and event.outcome is OfferOutcome.accepted
    assert event.ended_at == clock.now()
    with pytest.raises(OfferClosed, match="accepted already"):
        offer.decline(clock.now())
    assert offer.pull_events() == []


def test_an_answer_after_the_timeout_is_refused_naming_the_expiry():
    clock = FakeClock()
    offer = offered(clock)
    clock.advance(30)

    with pytest.raises(OfferClosed, match="expired at"):
        offer.accept(clock.now())
    with pytest.raises(OfferClosed, match="expired at"):
        offer.decline(clock.now())
    assert offer.outcome is None and offer.pull_events() == []


def test_it_expires_only_once_its_time_is_up():
    clock = FakeClock()
    offer = offered(clock)
    clock.advance(29.9)
    with pytest.raises(OfferClosed, match="runs until"):
        offer.expire(clock.now())
    clock.advance(0.1)

    offer.expire(clock.now())

    [event] = offer.pull_events()
    assert event.outcome is OfferOutcome.expired and event.reason == "no answer in time"


def test_a_decline_keeps_the_agent_off_the_ticket_for_the_cooldown():
    clock = FakeClock()
    offer = offered(clock)
    offer.decline(clock.now(), "on a call")
    assert keeps_away(OfferOutcome.declined) and keeps_away(OfferOutcome.expired)
    assert not keeps_away(OfferOutcome.withdrawn)
    cooldowns = with_cooldown([], Cooldown("ana", clock.now() + OFFERING.cooldown), clock.now())

    clock.advance(599)
    assert recent(cooldowns, clock.now()) == {"ana"}
    clock.advance(1)
    assert recent(cooldowns, clock.now()) == set()


def test_cooldowns_keep_one_per_agent_and_drop_the_ended():
    clock = FakeClock()
    now = clock.now()
    old = [Cooldown("ben", now - timedelta(seconds=1)), Cooldown("ana", now + timedelta(seconds=5))]

    kept = with_cooldown(old, Cooldown("ana", now + timedelta(seconds=60)), now)

    assert kept == [Cooldown("ana", now + timedelta(seconds=60))]
    assert with_cooldown(kept, Cooldown("cai", now), now) == kept  # a zero cooldown adds none


def test_missed_offer_presence_none_leaves_presence_alone():
    assert OfferSettings().missed_presence() is Presence.away
    none = OfferSettings(missed_offer_presence=MissedOfferPresence.none)
    assert none.missed_presence() is None


def test_department_offer_settings_default_to_assigning_at_once():
    settings = DepartmentUpdate().settings("billing")

    assert settings.offer == OfferSettings()
    assert settings.offer.mode is OfferMode.auto_accept and not settings.offer.offers
    assert (settings.offer.timeout_seconds, settings.offer.decline_cooldown_seconds) == (120, 600)
    assert settings.offer.missed_offer_reason == "missed offer"


@pytest.mark.parametrize(
    "offer",
    [
        {"mode": "sometimes"},
        {"timeout_seconds": 0},
        {"timeout_seconds": 3601},
        {"decline_cooldown_seconds": -1},
        {"missed_offer_presence": "lunch"},
        {"missed_offer_reason": ""},
        {"missed_offer_reason": "x" * 201},
        {"surprise": True},
    ],
)
def test_bad_offer_settings_are_refused(offer: dict):
    with pytest.raises(ValidationError):
        DepartmentUpdate.model_validate({"offer": offer})
