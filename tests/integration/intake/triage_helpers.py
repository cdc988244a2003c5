"""Rules and tickets for the triage integration tests."""

import httpx

OUTAGE = {
    "name": "outage",
    "rank": 10,
    "when": {"kind": "any_word", "words": ["outage", "down", "宕机"]},
    "then": {"category": "technical", "priority": "urgent", "tags": ["outage"]},
}
LOGIN = {
    "name": "login",
    "when": {"kind": "any_word", "words": ["password", "log in", "登录"]},
    "then": {"category": "account", "priority": "high"},
}
REFUNDS = {
    "name": "refunds",
    "rank": 20,
    "when": {"kind": "contains", "on": "subject", "value": "refund"},
    # A department the default categories route to (the account category's), not billing's.
    "then": {"category": "billing", "department": "accounts", "tags": ["refund"]},
}

# Each search of SLOW_PATTERN over SLOW_BODY backtracks past any regex time limit.
SLOW_PATTERN = r"\w*\w*\w*x\d"
SLOW_BODY = "a" * 19_000 + "x"


def ticket(subject: str, body: str, **extra: object) -> dict:
    """A REST ticket that leaves its category to triage (unless `extra` names one)."""
    return {
        "channel": "web",
        "customer": {"email": "ada@example.com", "name": "Ada"},
        "subject": subject,
        "body": body,
        **extra,
    }


async def put_rules(client: httpx.AsyncClient, *rules: dict) -> dict:
    response = await client.put("/triage/rules", json=list(rules))
    assert response.status_code == 200, response.text
    return response.json()


async def create(client: httpx.AsyncClient, body: dict, **headers: str) -> dict:
    response = await client.post("/tickets", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()
