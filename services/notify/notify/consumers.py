"""Bus subscription: one queue for every event notify tells customers about."""

from notify.handlers import NotifyDeps
from notify.paging import PagingRepository, consumed_events
from ticketflow_shared.runtime import Runtime


async def subscribe(runtime: Runtime, deps: NotifyDeps, paging: PagingRepository) -> None:
    # No inbox: each event's delivery is keyed by the event id, so the delivery document is
    # itself the record that the event was handled (a copy finds it and skips), and the two
    # inbox round trips per event would buy nothing.
    await runtime.consume(consumed_events(deps, paging), inbox=False)
