"""How big one bulk call to the store may be, and slicing work to fit (no store client here,
so the domain-facing modules that batch can import it without the HTTP layer)."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
BULK_LIMIT = 50
"""Most operations or documents one bulk call carries: FerretDB 1.24 leaves the whole server
hung on a `bulk_write` of a couple of hundred updates, and 50 by `_id` return in tens of ms."""


def batches(items: Sequence[T], size: int = BULK_LIMIT) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
