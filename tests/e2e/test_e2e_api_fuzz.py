"""Every operation of the four services, fuzzed from its own OpenAPI: no request gets a 5xx.

Schemathesis generates valid and invalid requests for each operation (examples, coverage
and fuzzing phases) and sends them to the four services running as processes on real
RabbitMQ and FerretDB; every operation is fuzzed, `POST /dead-letters/replay` included.
A 5xx, or a response that contradicts the schema, fails that operation's test and prints a
curl command that reproduces it and the service log holding the traceback. Generation is
deterministic, so a failure comes back on every run until it is fixed.
`TICKETFLOW_FUZZ_EXAMPLES` (default 100) sets the examples per operation for a deeper run.
"""

import functools
import importlib
import os
from unittest import mock

import httpx
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.errors import FailureGroup

from credentials import ADMIN, admin_headers
from e2e_platform import LOG_DIR, SERVICES, Platform
from intake.domain.categories import DEFAULT_CATEGORIES
from intake.domain.idempotency import ticket_id_for_key
from journey import assigned_ticket, post_ticket, put_agent, unique_email
from support import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from ticketflow_shared.events import TicketAssignedV1, TicketCreatedV1, TicketResolvedV1

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Records that exist, so that path parameters often get past "404 not found".
SEED_AGENT = "fuzz-agent"
SEED_KEY = "fuzz-seed"
SEED_TICKET = ticket_id_for_key(SEED_KEY, ADMIN.actor)
CATEGORIES = [rule.name for rule in DEFAULT_CATEGORIES]
NOTIFIED_EVENTS = [e.event_type for e in (TicketCreatedV1, TicketAssignedV1, TicketResolvedV1)]

# Template text that breaks jinja in ways a customer-service admin could type or paste:
# runaway recursion, constants too big to print, nesting deeper than the parser or Python's
# compiler allows, filters given impossible arguments, templates that need a loader. Left
# out on purpose: `'%.999999999f' % 1` and the like render for ~50 s on the event loop.
HOSTILE_TEMPLATES = [
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ 10 ** 100000 }}",
    "{% set n = 10 ** 5000 %}{{ ticket.reference }}",
    "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",
    "{{ " + "[" * 250 + "]" * 250 + " }}",
    "{% if true %}" * 150 + "{{ ticket.reference }}" + "{% endif %}" * 150,
    "{{ ticket.reference" + "|string" * 2000 + " }}",
    "{{ ticket.subject|truncate(-5) }}",
    "{{ ticket.subject|wordwrap(0) }}",
    "{{ [1, 2]|slice(0)|list }}",
    "{{ 1 / 0 }}",
    "{{ range(10 ** 6)|list|length }}",
    "{% include 'other' %}",
    "{{ ticket.__class__ }}",
    "{{ nothing.here }}",
]
# ISO 8601 times at the ends of what `datetime` holds, with and without offsets.
EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999-14:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59",
]


def _config(
    dictionaries: dict[str, list], parameters: dict[str, tuple[str, float]]
) -> schemathesis.Config:
    """Settings for one service: the dictionaries, and how often a parameter draws from one."""
    return schemathesis.Config.from_dict(
        {
            # A fixed seed, derandomized Hypothesis and no example database: the same
            # requests on every run and every machine.
            "seed": 20260101,
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "request-timeout": 30,
            "generation": {
                "mode": "all",
                "max-examples": int(os.environ.get("TICKETFLOW_FUZZ_EXAMPLES", "100")),
                "deterministic": True,
                "database": "none",
            },
            "dictionaries": {name: {"values": values} for name, values in dictionaries.items()},
            "parameters": {
                key: {"dictionary": name, "probability": probability}
                for key, (name, probability) in parameters.items()
            },
        }
    )


CONFIGS = {
    "intake": _config(
        {"tickets": [SEED_TICKET], "categories": CATEGORIES},
        {"path.ticket_id": ("tickets", 0.5), "path.name": ("categories", 0.5)},
    ),
    "routing": _config(
        {"agents": [SEED_AGENT], "tickets": [SEED_TICKET], "categories": CATEGORIES},
        {
            "path.agent_id": ("agents", 0.5),
            "path.ticket_id": ("tickets", 0.5),
            "path.category": ("categories", 0.5),
        },
    ),
    "notify": _config(
        {"events": NOTIFIED_EVENTS, "templates": HOSTILE_TEMPLATES},
        {
            "path.event_type": ("events", 0.8),
            "body.subject": ("templates", 0.3),
            "body.body": ("templates", 0.5),
        },
    ),
    "reporting": _config(
        {"tickets": [SEED_TICKET], "times": EDGE_TIMES},
        {"path.ticket_id": ("tickets", 0.5), "query.since": ("times", 0.3)},
    ),
}


# No 5xx, and what does come back is what the schema says (FastAPI's lenient parsing and
# undocumented 404s make the other built-in checks, e.g. negative_data_rejection, noise).
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _openapi(service: str) -> dict:
    """What the service serves at /openapi.json; needed now, to collect one test per operation."""
    keys = {"TICKETFLOW_PII_KEYS": TEST_PII_KEYS, "TICKETFLOW_PII_INDEX_KEY": TEST_PII_INDEX_KEY}
    with mock.patch.dict(os.environ, keys):  # intake and notify refuse to start without keys
        return importlib.import_module(f"{service}.bootstrap").create_app().openapi()


OPENAPI = {service: _openapi(service) for service in SERVICES}
SCHEMAS = {
    service: schemathesis.openapi.from_dict(OPENAPI[service], config=CONFIGS[service])
    for service in SERVICES
}


def _service_of(case: schemathesis.Case) -> str:
    return next(s for s in SERVICES if case.operation.schema.raw_schema is OPENAPI[s])


@pytest.fixture(scope="module")
def module_platform_env() -> dict[str, dict[str, str]]:
    """Intake's request deadline well above the fuzz's slowest honest request on a busy box:
    a 503 from the deadline is load shedding, not the crash this test looks for (the
    deadline has its own tests)."""
    return {"intake": {"TICKETFLOW_HTTP_DEADLINE_SECONDS": "10"}}


@pytest.fixture(scope="module")
async def seeded_platform(module_platform: Platform) -> Platform:
    """The platform holding the records the dictionaries name: an agent with one ticket."""
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        await put_agent(
            http, module_platform, SEED_AGENT, department="billing", skills={"billing": 5}
        )
        posted = await post_ticket(
            http, module_platform, "billing", unique_email(), {"Idempotency-Key": SEED_KEY}
        )
        assert posted["id"] == SEED_TICKET
        await assigned_ticket(http, module_platform, SEED_TICKET)
    return module_platform


@pytest.mark.parametrize("service", SERVICES)
async def test_the_fuzzed_schema_is_the_one_the_service_serves(
    service: str, module_platform: Platform
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=admin_headers()) as http:
        served = await http.get(f"{module_platform.url(service)}/openapi.json")
    assert served.json() == OPENAPI[service]


@schemathesis.pytest.parametrize(**SCHEMAS)
def test_no_request_gets_a_server_error(case: schemathesis.Case, seeded_platform: Platform) -> None:
    service = _service_of(case)
    try:
        case.call_and_validate(
            base_url=seeded_platform.url(service), checks=CHECKS, headers=admin_headers()
        )
    except FailureGroup:
        log = LOG_DIR / f"{seeded_platform.namespace.token}-{service}.log"
        _say_once(f"{case.operation.label}: the traceback, if any, is in {log}")
        raise


@functools.cache
def _say_once(message: str) -> None:
    """Print once, though Hypothesis replays a failing example while it shrinks it."""
    print(message)
