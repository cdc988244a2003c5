"""KPI arithmetic: percentiles, duration statistics and counting, all pure."""

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) by linear interpolation between closest ranks.

    This is Hyndman & Fan definition 7, the default of numpy, R and Excel's PERCENTILE.INC:
    on the sorted values x[0..n-1], take h = (n - 1) * q and interpolate between x[floor(h)]
    and x[ceil(h)]. So the 0.5-quantile is the usual median (the mean of the two middle
    values for an even count), q=0 is the minimum and q=1 the maximum. None for no values.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile must be within [0, 1], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    below = math.floor(h)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (h - below) * (ordered[above] - ordered[below])


class DurationStats(BaseModel):
    """How long something took, in seconds, over the tickets where it happened."""

    count: int
    median: float | None
    p90: float | None


def duration_stats(seconds: Iterable[float]) -> DurationStats:
    values = list(seconds)
    return DurationStats(
        count=len(values),
        median=_rounded(percentile(values, 0.5)),
        p90=_rounded(percentile(values, 0.9)),
    )


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end; None when either is unknown.

    Times come from different services' clocks, so a small negative gap is skew, not time
    travel: it counts as zero.
    """
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def count_by(items: Iterable[T], key: Callable[[T], str | None], missing: str) -> dict[str, int]:
    """How many items share each key, with items lacking one counted under `missing`."""
    counts = Counter(key(item) or missing for item in items)
    return dict(sorted(counts.items()))


def _rounded(value: float | None) -> float | None:
    # The store keeps milliseconds; more digits would only be noise.
    return None if value is None else round(value, 3)


def ratio(part: int, whole: int) -> float | None:
    """part / whole to three decimals; None when there is no whole."""
    return round(part / whole, 3) if whole else None
