"""Every event type some service publishes is taken by at least one queue: the broker refuses
a mandatory publish nobody is bound for, and the outbox would retry it, and hold back every
later event of its ticket, for ever."""

import pytest

from intake import consumers as intake_consumers
from notify import consumers as notify_consumers
from reporting import consumers as reporting_consumers
from routing import consumers as routing_consumers
from ticketflow_shared.dispatch import EventHandlers
from ticketflow_shared.events import EVENT_TYPES


class Subscriptions:
    """Stands in for a runtime: records what each `consume` would bind, and does nothing."""

    def __init__(self) -> None:
        self.event_types: set[str] = set()

    async def consume(self, handlers: EventHandlers, **_: object) -> None:
        self.event_types.update(handlers.event_types)


@pytest.fixture
async def bound() -> set[str]:
    runtime = Subscriptions()
    await intake_consumers.subscribe(runtime, None)
    await routing_consumers.subscribe(runtime, None, None)
    await notify_consumers.subscribe(runtime, None, None)
    await reporting_consumers.subscribe(runtime, None)
    return runtime.event_types


async def test_every_event_type_has_a_queue_bound_for_it(bound):
    # Every process follows the key events on a queue of its own (`access.wiring`).
    unbound = set(EVENT_TYPES) - bound - {"apikey.issued.v1", "apikey.revoked.v1"}
    assert unbound == set()
