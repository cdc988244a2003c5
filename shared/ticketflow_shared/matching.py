"""MongoDB filter matching in Python for the few operators our conditional writes use.

Used where the store can only look documents up cheaply by `_id` (FerretDB 1.x pushes
nothing else down to SQLite): fetch by `_id`, then decide here. `Unsupported` means "ask
the server", so anything outside this subset stays correct, only slower. Written here rather
than taken from `mongoquery`, which answers `{"tags": {"$ne": "a"}}` wrongly for an array
holding "a" — the very guard our idempotent writes rely on.
"""

from datetime import UTC, datetime
from typing import Any

MISSING = object()
COMPARISONS = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


class Unsupported(Exception):
    """The filter uses something this matcher does not implement."""


def matches(document: dict[str, Any], query: dict[str, Any]) -> bool:
    return all(_field_matches(_lookup(document, path), cond) for path, cond in query.items())


def _lookup(document: dict[str, Any], path: str) -> Any:
    if path.startswith("$"):
        raise Unsupported(path)
    value: Any = document
    for part in path.split("."):
        if isinstance(value, list):
            raise Unsupported(f"path through an array: {path}")
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _field_matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
        return all(_operator(value, op, arg) for op, arg in condition.items())
    return _equals(value, condition)


def _operator(value: Any, op: str, arg: Any) -> bool:
    if op == "$eq":
        return _equals(value, arg)
    if op == "$ne":
        return not _equals(value, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list | tuple):
            raise Unsupported(f"{op} needs an array")
        found = any(_equals(value, item) for item in arg)
        return found if op == "$in" else not found
    if op == "$exists":
        return (value is not MISSING) == bool(arg)
    if op == "$not":
        if not (isinstance(arg, dict) and arg and all(str(k).startswith("$") for k in arg)):
            raise Unsupported("$not needs an operator expression")
        return not all(_operator(value, inner, inner_arg) for inner, inner_arg in arg.items())
    if op in COMPARISONS:
        candidates = value if isinstance(value, list) else [value]
        return any(_compare(op, item, arg) for item in candidates)
    raise Unsupported(op)


def _as_stored(value: Any) -> Any:
    """A query value as BSON keeps it: datetimes in UTC, to the millisecond."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.replace(microsecond=aware.microsecond // 1000 * 1000)
    return value


def _equals(value: Any, expected: Any) -> bool:
    """Mongo equality: null matches missing, and an array matches any element or itself."""
    if isinstance(expected, dict):
        raise Unsupported("document value")  # key order matters to MongoDB; ask the server
    expected = _as_stored(expected)
    if value is MISSING:
        return expected is None
    if isinstance(value, list) and not isinstance(expected, list):
        return any(_same(item, expected) for item in value)
    return _same(value, expected)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _compare(op: str, value: Any, arg: Any) -> bool:
    if arg is None:
        raise Unsupported(f"{op} null")
    arg = _as_stored(arg)
    if value is MISSING or value is None or isinstance(value, bool) != isinstance(arg, bool):
        return False
    try:
        return COMPARISONS[op](value, arg)
    except TypeError:  # different BSON type brackets never compare in a query
        return False


def projected(doc: dict[str, Any], projection: Any) -> dict[str, Any] | None:
    """What a find with `projection` returns of `doc`, for no projection or one naming only
    top-level fields; None for any other (left to the server)."""
    if projection is None:
        return doc
    if isinstance(projection, list | tuple):
        projection = dict.fromkeys(projection, 1)
    if not isinstance(projection, dict) or any(
        "." in key or "$" in key or isinstance(value, dict) for key, value in projection.items()
    ):
        return None
    if not projection:
        return doc
    shown = {key: bool(value) for key, value in projection.items()}
    keep_id = shown.pop("_id", True)
    included = {key for key, value in shown.items() if value}
    if included and len(included) != len(shown):
        return None  # mixed inclusion and exclusion: the server's error to give
    if not shown:  # `_id` alone: 1 shows only it, 0 all else
        answer = {} if keep_id else dict(doc)
    elif included:
        answer = {key: value for key, value in doc.items() if key in included}
    else:
        answer = {key: value for key, value in doc.items() if key not in shown}
    answer.pop("_id", None)
    return {"_id": doc["_id"], **answer} if keep_id else answer
