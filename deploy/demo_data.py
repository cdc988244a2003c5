"""Load demo departments and agents into a running routing service (stdlib only, idempotent)."""

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


def send(method: str, url: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise
        return error.code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routing", default="http://127.0.0.1:8002")
    args = parser.parse_args()
    for agent in AGENTS:
        fields = {**agent, "presence": "available"}
        status = send("PUT", f"{args.routing}/agents/{agent['agent_id']}", fields)
        if status >= 400:
            print(f"agent {agent['agent_id']}: HTTP {status}", file=sys.stderr)
            return 1
        print(f"agent {agent['agent_id']:6} {agent['department']:11} skills {agent['skills']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
