"""Bus subscription: one queue for every event notify tells customers about."""

from functools import partial

from notify.handlers import CONSUMED_EVENTS, NotifyDeps, handle_event
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, deps: NotifyDeps) -> None:
    # No inbox: each event's delivery is keyed by the event id, so the delivery document is
    # itself the record that the event was handled (a copy finds it and skips), and the two
    # inbox round trips per event would buy nothing.
    await runtime.bus.subscribe("events", CONSUMED_EVENTS, partial(handle_event, deps))
