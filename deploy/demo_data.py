"""Add the demo agents a running routing service does not have yet (stdlib only, idempotent).

An agent that exists is left as it is: what an operator changed (presence, capacity,
skills) survives every `deploy/up`. Each agent is created with `POST /agents`, which only
ever inserts, so two runs at once cannot overwrite each other either.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

AGENTS = [
    {
        "agent_id": "ana",
        "name": "Ana Lopez",
        "department": "billing",
        "skills": {"billing": 9, "account": 4},
        "capacity": 3,
    },
    {
        "agent_id": "ben",
        "name": "Ben Okafor",
        "department": "billing",
        "skills": {"billing": 5},
        "capacity": 2,
    },
    {
        "agent_id": "carla",
        "name": "Carla Jensen",
        "department": "technical",
        "skills": {"technical": 8, "account": 3},
        "capacity": 3,
    },
    {
        "agent_id": "dev",
        "name": "Dev Sharma",
        "department": "technical",
        "skills": {"technical": 6},
        "capacity": 2,
    },
    {
        "agent_id": "eva",
        "name": "Eva Novak",
        "department": "accounts",
        "skills": {"account": 7, "general": 5},
        "capacity": 4,
    },
    {
        "agent_id": "fin",
        "name": "Finn Berg",
        "department": "front-desk",
        "skills": {"general": 6},
        "capacity": 4,
    },
]


def create(url: str, body: dict) -> int:
    """POST `body`; the HTTP status, 4xx included (409: it exists already)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise
        return error.code


def load(routing: str) -> dict[str, str]:
    """Create each missing demo agent: agent id -> "created" or "kept" (it existed)."""
    outcome = {}
    for agent in AGENTS:
        status = create(f"{routing}/agents", {**agent, "presence": "available"})
        if status not in (201, 409):
            raise RuntimeError(f"agent {agent['agent_id']}: HTTP {status}")
        outcome[agent["agent_id"]] = "created" if status == 201 else "kept"
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routing", default="http://127.0.0.1:8002")
    args = parser.parse_args()
    try:
        outcome = load(args.routing)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    for agent in AGENTS:
        agent_id = agent["agent_id"]
        print(
            f"agent {agent_id:6} {agent['department']:11} skills {agent['skills']}"
            f" ({outcome[agent_id]})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
