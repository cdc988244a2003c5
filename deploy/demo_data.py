"""Demo data for a running platform, idempotent: the demo agents routing does not have yet,
and the demo people's credentials.

An agent that exists is left as it is: what an operator changed (presence, capacity,
skills) survives every `deploy/up`. Each agent is created with `POST /agents`, which only
ever inserts, so two runs at once cannot overwrite each other either.

People sign in with tokens from a local HS256 "identity provider" (the platform's shared
secret, `TICKETFLOW_AUTH_JWT_SECRET`): an admin, a supervisor and a viewer per demo
department, and each demo agent, whose token subject is their agent id. The demo CRM gets an
API key, issued once through intake's `POST /api-keys` and kept in the credentials file.

The agent's desk gets something to show: each department's handoff checklist, a procedure
(SOP) for billing and technical tickets, and a few macros. Like the agents, each is written
only where none exists yet, so what an operator changed through the API is kept.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

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


DEPARTMENTS = sorted({agent["department"] for agent in AGENTS})

CHECKLISTS = {
    "billing": {
        "items": [
            {"key": "identity_verified", "label": "Customer identity verified", "required": True},
            {"key": "order_id_confirmed", "label": "Order id confirmed", "required": True},
        ]
    },
    "technical": {
        "items": [
            {"key": "identity_verified", "label": "Customer identity verified", "required": True},
            {"key": "steps_to_reproduce", "label": "Steps to reproduce noted", "required": True},
            {"key": "logs_attached", "label": "Logs attached", "required": False},
        ]
    },
}

# Steps to tick, none required: the walkthrough and the bench solve demo tickets without
# ticking anything (the walkthrough shows a required step on a procedure of its own).
PROCEDURES = {
    "billing": [
        {"key": "check_invoice", "label": "Check the invoice and payments", "required": False},
        {"key": "refund_or_explain", "label": "Refund, or explain the charge", "required": False},
        {"key": "offer_follow_up", "label": "Offer a follow-up call", "required": False},
    ],
    "technical": [
        {"key": "reproduce", "label": "Reproduce the fault", "required": False},
        {
            "key": "fix_or_escalate",
            "label": "Fix it, or escalate to engineering",
            "required": False,
        },
    ],
}

MACROS = {
    "ask-order-details": {
        "title": "Ask for the order details",
        "department": "billing",
        "categories": ["billing"],
        "reply": {
            "body": "Hello {{ customer.name or 'there' }}, could you send us the invoice"
            " for order {{ ticket.fields.order_id | default('(unknown)') }}?"
            " {{ agent.name }}, billing",
            "visibility": "public",
        },
        "set_status": "pending",
        "add_tags": ["waiting-on-customer"],
    },
    "refund-done": {
        "title": "Refund issued",
        "department": "billing",
        "categories": ["billing"],
        "reply": {
            "body": "Hello {{ customer.name or 'there' }}, we have refunded the second charge;"
            " it shows on your account within 5 working days. {{ agent.name }}",
            "visibility": "public",
        },
        "add_tags": ["refund"],
    },
    "escalate-urgent": {
        "title": "Urgent: the customer is blocked",
        "set_priority": "urgent",
        "add_tags": ["escalated"],
        "reply": {"body": "Raised to urgent by {{ agent.name }}.", "visibility": "internal"},
    },
}

ARTICLES = {
    "reset-password": {
        "title": "Reset your password",
        "body": 'Open the login page and choose "Forgot password". We send a link to your'
        " email address; it is good for one hour.\n\nNo mail after ten minutes? Check the spam"
        " folder, then reply to our email and an agent will reset it for you.",
        "language": "en",
    },
    "double-charge": {
        "title": "Charged twice for one order",
        "body": "A second charge for the same order is usually a card pre-authorisation that"
        " your bank releases within 3 working days.\n\nStill there after that? Reply with the"
        " order number and we refund it.",
        "language": "en",
    },
    "refund-time": {
        "title": "退款多久到账",
        "body": "退款审核通过后原路退回。一般 3 到 5 个工作日到账。\n\n超过 5 个工作日仍未到账"
        "请回复邮件并附上订单号。我们会为您查询。",
        "language": "zh",
    },
}
"""Knowledge-base articles: acknowledgements suggest them, and a customer can close the
ticket from one (README: Self-service)."""


def call(url: str, token: str, body: dict | None = None, method: str = "POST") -> tuple[int, dict]:
    """Send `body` as JSON with the bearer `token`; the HTTP status (4xx included) and the
    answer's JSON."""
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise
        return error.code, {}


def create(url: str, body: dict, token: str) -> int:
    """POST `body`; the HTTP status, 4xx included (409: it exists already)."""
    return call(url, token, body)[0]


def people(secret: str) -> dict[str, str]:
    """Demo credentials by variable name: tokens for an admin, each department's supervisor
    and viewer, and each agent (subject = agent id)."""
    from ticketflow_shared.access.tokens import mint_local_token

    def mint(subject: str, roles: list[str], departments: list[str], name: str) -> str:
        return mint_local_token(
            secret, subject=subject, roles=roles, departments=departments, name=name
        )

    tokens = {"ADMIN_TOKEN": mint("admin", ["admin"], [], "Demo Admin")}
    for department in DEPARTMENTS:
        slug = department.upper().replace("-", "_")
        lead = f"{department}-lead"
        tokens[f"{slug}_SUPERVISOR_TOKEN"] = mint(lead, ["supervisor"], [department], lead)
        tokens[f"{slug}_VIEWER_TOKEN"] = mint(
            f"{department}-viewer", ["viewer"], [department], f"{department} viewer"
        )
    for agent in AGENTS:
        tokens[f"{agent['agent_id'].upper()}_TOKEN"] = mint(
            agent["agent_id"], ["agent"], [agent["department"]], agent["name"]
        )
    return tokens


def integration_key(intake: str, admin_token: str, known: str | None) -> str:
    """The demo CRM's API key: `known` if intake still accepts it, else a newly issued one."""
    if known:
        status, _ = call(f"{intake}/categories", known, method="GET")
        if status == 200:
            return known
    status, issued = call(
        f"{intake}/api-keys",
        admin_token,
        {"name": "demo-crm", "roles": ["integration"], "departments": []},
    )
    if status != 201:
        raise RuntimeError(f"could not issue the demo CRM's API key: HTTP {status}")
    return issued["key"]


def load(routing: str, token: str) -> dict[str, str]:
    """Create each missing demo agent: agent id -> "created" or "kept" (it existed)."""
    outcome = {}
    for agent in AGENTS:
        status = create(f"{routing}/agents", {**agent, "presence": "available"}, token)
        if status not in (201, 409):
            raise RuntimeError(f"agent {agent['agent_id']}: HTTP {status}")
        outcome[agent["agent_id"]] = "created" if status == 201 else "kept"
    return outcome


SLA_POLICY = {
    "targets": {
        "urgent": {"first_response": 15 * 60, "next_response": 30 * 60, "resolution": 4 * 3600},
        "high": {"first_response": 3600, "next_response": 2 * 3600, "resolution": 8 * 3600},
        "normal": {"first_response": 4 * 3600, "next_response": 8 * 3600, "resolution": 24 * 3600},
    },
    "calendar": {
        "mode": "business_hours",
        "timezone": "Europe/Berlin",
        "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "country": "DE",
    },
    "on_breach": ["raise_priority", "page_supervisor"],
}
"""Business hours in Berlin: urgent answered within 15 minutes, high 1 hour, normal 4 hours."""


def put_missing(url: str, token: str, body: dict, present) -> str:
    """PUT `body` at `url` unless `present(answer of GET url)`: "created" or "kept"."""
    status, current = call(url, token, method="GET")
    if status == 200 and present(current):
        return "kept"
    status, _ = call(url, token, body, method="PUT")
    if status not in (200, 201):
        raise RuntimeError(f"PUT {url}: HTTP {status}")
    return "created"


def load_desk(intake: str, token: str) -> dict[str, str]:
    """The desk's demo data where none exists yet: what was created or kept, by name."""
    outcome = {}
    for department, checklist in CHECKLISTS.items():
        url = f"{intake}/handoff-checklists/{department}"
        outcome[f"checklist {department}"] = put_missing(url, token, checklist, bool)
    for category, steps in PROCEDURES.items():
        url = f"{intake}/categories/{category}/procedure"
        status, current = call(f"{intake}/categories", token, method="GET")
        rules = {rule["name"]: rule for rule in current.get("data", [])} if status == 200 else {}
        if rules.get(category, {}).get("procedure"):
            outcome[f"procedure {category}"] = "kept"
            continue
        status, _ = call(url, token, {"steps": steps}, method="PUT")
        if status != 200:
            raise RuntimeError(f"PUT {url}: HTTP {status}")
        outcome[f"procedure {category}"] = "created"
    for macro_id, macro in MACROS.items():
        url = f"{intake}/macros/{macro_id}"
        outcome[f"macro {macro_id}"] = put_missing(url, token, macro, bool)
    for article_id, article in ARTICLES.items():
        url = f"{intake}/kb/articles/{article_id}"
        outcome[f"article {article_id}"] = put_missing(url, token, article, bool)
    return outcome


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name.removeprefix("export ").strip(): value.strip() for name, value in pairs}


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(f"export {name}={value}\n" for name, value in values.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routing", default="http://127.0.0.1:8002")
    parser.add_argument("--intake", default="http://127.0.0.1:8001")
    parser.add_argument(
        "--credentials", type=Path, help="where the demo credentials are kept (mode 600)"
    )
    args = parser.parse_args()
    secret = os.environ.get("TICKETFLOW_AUTH_JWT_SECRET")
    if not secret:
        print("TICKETFLOW_AUTH_JWT_SECRET is not set", file=sys.stderr)
        return 1
    credentials = people(secret)
    try:
        outcome = load(args.routing, credentials["ADMIN_TOKEN"])
        desk = load_desk(args.intake, credentials["ADMIN_TOKEN"])
        sla_url = f"{args.routing}/sla/policies/standard"
        desk["sla policy standard"] = put_missing(
            sla_url, credentials["ADMIN_TOKEN"], SLA_POLICY, bool
        )
        if args.credentials:
            known = read_env_file(args.credentials).get("CRM_KEY")
            credentials["CRM_KEY"] = integration_key(args.intake, credentials["ADMIN_TOKEN"], known)
            write_env_file(args.credentials, credentials)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    for agent in AGENTS:
        agent_id = agent["agent_id"]
        print(
            f"agent {agent_id:6} {agent['department']:11} skills {agent['skills']}"
            f" ({outcome[agent_id]})"
        )
    for name, result in desk.items():
        print(f"{name} ({result})")
    if args.credentials:
        print(f"demo credentials (also in {args.credentials}):")
        for name, value in credentials.items():
            print(f"  {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
