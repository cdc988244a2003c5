"""What the offer tests share: a department in offer mode and the offer events."""

from typing import Any

from routing_harness import routing_app

from credentials import headers
from support import Namespace

OFFERED, OFFER_ENDED = "ticket.offered.v1", "ticket.offer_ended.v1"


def offering_app(namespace: Namespace, **settings: object) -> Any:
    """A routing app polling its offers often, sweeping the queue rarely."""
    return routing_app(namespace, **{"sweep_seconds": 30, "offer_poll_seconds": 0.2, **settings})


async def offer_mode(http: Any, department: str = "billing", **offer: Any) -> None:
    body = {"offer": {"mode": "offer", **offer}}
    answer = await http.put(f"/departments/{department}", json=body)
    assert answer.status_code == 200, answer.text


def as_agent(subject: str, department: str = "billing") -> dict[str, str]:
    return headers("agent", departments=(department,), subject=subject)
