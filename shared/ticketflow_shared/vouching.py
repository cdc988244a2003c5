"""A caller's word, for one write, that the document meets the write's conditions."""

import contextlib
from collections.abc import Callable
from contextvars import ContextVar

from ticketflow_shared.contextual import setting

_VOUCH: ContextVar[Callable[[], bool] | None] = ContextVar("vouched_for", default=None)


def vouched_for(still_holds: Callable[[], bool]) -> contextlib.AbstractContextManager[None]:
    """A by-`_id` write made inside, whose conditions the caller knows the document meets
    while `still_holds()`, may be sent by `_id` without the read that would check them. The
    FerretDB layer asks once the write's turn comes, and only in a process alone on FerretDB
    (which sees every write of its collections); anywhere else the write goes as written."""
    return setting(_VOUCH, still_holds)


def vouched() -> bool:
    """Whether the write being made now was vouched for, asked now."""
    still_holds = _VOUCH.get()
    return still_holds is not None and still_holds()
