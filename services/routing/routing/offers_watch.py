"""Offer timeouts in one process: a timer per offer it knows, and a poll of the store.

Expiry is stored on the offer, so nothing is lost with a process: every routing process
polls the pending offers every `poll_seconds`, expires those that ran out and arms a timer
on its scheduler for the rest, so an offer ends on time whichever process made it, or after
a restart. When several fire at once, the settle insert lets one of them act.
"""

from functools import partial

from routing import offers
from routing.domain.offers import Offer
from routing.ports import Stores
from ticketflow_shared.scheduling import Scheduler

POLL = "routing-offer-poll"


def _timer(offer_id: str) -> str:
    return f"routing-offer:{offer_id}"


class OfferWatch:
    """The process's `OfferTimers`."""

    def __init__(self, stores: Stores, scheduler: Scheduler, poll_seconds: float = 1.0) -> None:
        self.stores = stores
        self.scheduler = scheduler
        self.poll_seconds = poll_seconds

    def arm(self, offer: Offer) -> None:
        name = _timer(offer.offer_id)
        if name not in self.scheduler:
            job = partial(offers.expire_by_id, offer.offer_id, self.stores)
            self.scheduler.at(name, offer.expires_at, job)

    def disarm(self, offer_id: str) -> None:
        self.scheduler.cancel(_timer(offer_id))

    async def poll(self) -> None:
        await offers.watch(self.stores)

    def schedule(self) -> None:
        self.scheduler.every(POLL, self.poll_seconds, self.poll)

    def unschedule(self) -> None:
        self.scheduler.cancel(POLL)
