"""Filter matching used to check conditions after a lookup by `_id`: Mongo's semantics."""

from datetime import UTC, datetime

import pytest

from ticketflow_shared.matching import Unsupported, matches

DOC = {
    "_id": "T1",
    "status": "queued",
    "version": 3,
    "applied_events": ["e1", "e2"],
    "skills": {"billing": 7},
    "outbox": [],
    "flag": True,
    "at": datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC),
}
AT_WITH_MICROSECONDS = datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"version": 3}, True),
        ({"version": 4}, False),
        ({"applied_events": {"$ne": "e1"}}, False),
        ({"applied_events": {"$ne": "e9"}}, True),
        ({"applied_events": "e2"}, True),
        ({"applied_events": ["e1", "e2"]}, True),
        ({"status": {"$in": ["new", "queued"]}}, True),
        ({"status": {"$nin": ["new", "queued"]}}, False),
        ({"skills.billing": {"$gte": 7}}, True),
        ({"skills.billing": {"$gt": 7}}, False),
        ({"skills.technical": {"$gte": 1}}, False),
        ({"outbox": []}, True),
        ({"missing": None}, True),
        ({"missing": {"$exists": False}}, True),
        ({"status": {"$exists": True}}, True),
        ({"version": {"$gt": "2"}}, False),
        ({"flag": 1}, False),
        ({"at": {"$lt": datetime(2027, 1, 1, tzinfo=UTC)}}, True),
        ({"version": 3, "status": "new"}, False),
        # BSON keeps milliseconds: a query time is cut to them before comparing, as MongoDB does
        ({"at": {"$lt": AT_WITH_MICROSECONDS}}, False),
        ({"at": {"$gte": AT_WITH_MICROSECONDS}}, True),
        ({"at": AT_WITH_MICROSECONDS}, True),
        ({"at": AT_WITH_MICROSECONDS.replace(tzinfo=None)}, True),
        ({"version": {"$not": {"$gte": 3}}}, False),
        ({"version": {"$not": {"$gte": 4}}}, True),
        ({"missing": {"$not": {"$gte": 1}}}, True),  # a missing field is "not at or above"
        ({"applied_events": {"$not": {"$in": ["e2"]}}}, False),
        ({"version": {"$not": {"$gt": 1, "$lt": 3}}}, True),
    ],
)
def test_matches_like_mongodb(query: dict, expected: bool) -> None:
    assert matches(DOC, query) is expected


@pytest.mark.parametrize(
    "query",
    [
        {"$or": [{"version": 3}]},
        {"version": {"$mod": [2, 1]}},
        {"skills": {"$size": 1}},
        {"skills": {"billing": 7}},
        {"status": {"$in": "queued"}},
        {"version": {"$gte": None}},
        {"version": {"$not": 3}},
        {"status": {"$not": {}}},
    ],
)
def test_anything_else_is_left_to_the_server(query: dict) -> None:
    with pytest.raises(Unsupported):
        matches(DOC, query)
