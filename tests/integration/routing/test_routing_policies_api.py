"""Queue policies over HTTP on the real store: versions, validation, who may write."""

import pytest
from routing_harness import routing_app

from credentials import headers
from support import serve_in_process

pytestmark = pytest.mark.integration

LEAD = headers("supervisor", departments=("billing",), subject="billing-lead")
VIEWER = headers("viewer", departments=("billing",), subject="billing-viewer")
POLICY = {
    "required": {"Billing": 6, "refunds": 2},
    "preferred": {"german": 3},
    "language": True,
    "fairness_cap": 5,
    "steps": [
        {"after_seconds": 300, "drop_preferred": True},
        {"after_seconds": 900, "lower_levels_by": 2},
        {"after_seconds": 1800, "overflow_to": "technical"},
        {"after_seconds": 2700, "raise_priority": "urgent", "page_supervisor": True},
    ],
}


async def test_policies_are_versioned_listed_and_deleted(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        first = await http.put("/queue-policies/billing", json=POLICY)
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["version"], body["required"]) == (1, {"billing": 6, "refunds": 2})
        assert body["order"] == ["level", "load", "idle"]
        changed = await http.put("/queue-policies/billing", json={**POLICY, "fairness_cap": 3})
        assert (changed.json()["version"], changed.json()["fairness_cap"]) == (2, 3)
        own = await http.put("/queue-policies/billing/Refund", json={"required": {"refunds": 4}})
        assert own.json()["category"] == "refund"
        assert (await http.get("/queue-policies/billing/refund")).json()["version"] == 1
        listed = (await http.get("/queue-policies")).json()
        assert [(p["department"], p["category"]) for p in listed["data"]] == [
            ("billing", None),
            ("billing", "refund"),
        ]
        assert (await http.delete("/queue-policies/billing")).status_code == 204
        assert (await http.get("/queue-policies/billing")).status_code == 404
        assert (await http.delete("/queue-policies/billing")).status_code == 404
        again = await http.put("/queue-policies/billing", json=POLICY)
        assert again.json()["version"] == 4  # the deletion was a change too


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"required": {}}, "at least 1"),
        ({"required": {"billing": 11}}, "less than or equal to 10"),
        ({"required": {"billing": 2}, "preferred": {"billing": 3}}, "both required and preferred"),
        ({"required": {"billing": 2}, "order": ["level", "level"]}, "order must list"),
        ({"required": {"billing": 2}, "order": ["speed"]}, "'level'"),
        ({"required": {"billing": 2}, "steps": [{"after_seconds": 60}]}, "changes nothing"),
        ({"required": {"billing": 2}, "shoe_size": 3}, "Extra inputs"),
        ({"required": {"x": 2}, "steps": [{"after_seconds": 60, "overflow_to": "billing"}]}, "own"),
    ],
)
async def test_a_bad_policy_is_a_422_naming_the_problem(namespace, body, message):
    async with serve_in_process(routing_app(namespace)) as http:
        response = await http.put("/queue-policies/billing", json=body)
        assert response.status_code == 422, response.text
        assert message in response.text


async def test_supervisors_write_their_departments_policies_and_staff_read(namespace):
    async with serve_in_process(routing_app(namespace)) as http:
        mine = await http.put("/queue-policies/billing", json=POLICY, headers=LEAD)
        assert mine.status_code == 200
        other = await http.put("/queue-policies/technical", json=POLICY, headers=LEAD)
        assert other.status_code == 403
        assert (await http.delete("/queue-policies/technical", headers=LEAD)).status_code == 403
        assert (await http.get("/queue-policies/billing", headers=VIEWER)).status_code == 200
        viewer = await http.put("/queue-policies/billing", json=POLICY, headers=VIEWER)
        assert viewer.status_code == 403
