"""Bus subscription: one queue for every event notify tells customers about."""

from functools import partial

from notify.handlers import CONSUMED_EVENTS, NotifyDeps, handle_event
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, deps: NotifyDeps) -> None:
    await runtime.bus.subscribe(
        "events", CONSUMED_EVENTS, runtime.idempotent(partial(handle_event, deps))
    )
