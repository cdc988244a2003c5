"""Steps an e2e test takes against the running platform, over HTTP as a user would."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from e2e_platform import Platform


async def eventually(
    probe: Callable[[], Awaitable[Any]], timeout: float = 30, what: str = "condition"
) -> Any:
    """Poll `probe` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


def unique_email(label: str = "customer") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


# What the default category rules require of each category's tickets.
REQUIRED_FIELDS = {"billing": {"order_id": "A-1001"}, "technical": {"product": "router"}}


async def put_agent(http: httpx.AsyncClient, platform: Platform, agent_id: str, **fields: Any):
    body = {"name": agent_id.title(), "presence": "available", **fields}
    response = await http.put(f"{platform.url('routing')}/agents/{agent_id}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def post_ticket(
    http: httpx.AsyncClient,
    platform: Platform,
    category: str,
    email: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict:
    body = {
        "channel": "web",
        "customer": {"email": email, "name": "Pat Customer"},
        "subject": f"Help with {category}",
        "body": "Something is not right.",
        "category": category,
        "fields": REQUIRED_FIELDS.get(category, {}),
        **fields,
    }
    response = await http.post(
        f"{platform.url('intake')}/tickets", json=body, headers=headers or {}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def ticket(http: httpx.AsyncClient, platform: Platform, ticket_id: str) -> dict:
    response = await http.get(f"{platform.url('intake')}/tickets/{ticket_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def assigned_ticket(http: httpx.AsyncClient, platform: Platform, ticket_id: str) -> dict:
    async def assigned() -> dict | None:
        current = await ticket(http, platform, ticket_id)
        return current if current["status"] == "open" else None

    return await eventually(assigned, what=f"{ticket_id} assigned")


async def mails_to(http: httpx.AsyncClient, platform: Platform, email: str) -> list[dict]:
    response = await http.get(
        f"{platform.namespace.servers.smtp_api}/api/messages", params={"to": email}
    )
    response.raise_for_status()
    return response.json()


async def sent_notifications(
    http: httpx.AsyncClient, platform: Platform, ticket_id: str
) -> list[dict]:
    response = await http.get(
        f"{platform.url('notify')}/notifications", params={"ticket_id": ticket_id}
    )
    response.raise_for_status()
    return [n for n in response.json()["data"] if n["status"] == "sent"]


async def summary(http: httpx.AsyncClient, platform: Platform) -> dict:
    response = await http.get(f"{platform.url('reporting')}/reports/summary")
    response.raise_for_status()
    return response.json()
