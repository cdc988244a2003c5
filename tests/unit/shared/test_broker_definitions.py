"""The broker definitions deploy/ imports and docker-compose loads: users, grants, exchanges."""

import base64
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ticketflow_shared.bus import DEAD_LETTER_EXCHANGE_SUFFIX

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "definitions.py"
_spec = importlib.util.spec_from_file_location("broker_definitions", SCRIPT)
assert _spec is not None and _spec.loader is not None
definitions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(definitions)

PASSWORDS = {who: f"{who}-secret" for who in (*definitions.SERVICES, "admin")}


def allowed(service: str, kind: str, name: str, *, test_names: bool = True) -> bool:
    granted = definitions.permissions(service, "ticketflow", "", test_names)
    return re.fullmatch(granted[kind], name) is not None


def test_the_dead_letter_exchange_is_named_as_the_bus_names_it():
    assert definitions.DEAD_LETTER_EXCHANGE_SUFFIX == DEAD_LETTER_EXCHANGE_SUFFIX


def test_a_password_hash_is_rabbitmqs_salted_sha256():
    salted = base64.b64decode(definitions.password_hash("s3cret", salt=b"\x01\x02\x03\x04"))
    assert salted == b"\x01\x02\x03\x04" + hashlib.sha256(b"\x01\x02\x03\x04s3cret").digest()


@pytest.mark.parametrize(
    "queue", ["routing.events", "routing.events.dlq", "test-0af3-routing.events"]
)
def test_a_service_configures_writes_and_reads_its_own_queues(queue: str):
    assert all(allowed("routing", kind, queue) for kind in ("configure", "write", "read"))


@pytest.mark.parametrize(
    "name", ["notify.events", "notify.events.dlq", "test-0af3-notify.events", "routing", "x.events"]
)
def test_a_service_has_no_permission_on_another_services_queues(name: str):
    assert not any(allowed("routing", kind, name) for kind in ("configure", "write", "read"))


@pytest.mark.parametrize("exchange", ["ticketflow", "ticketflow.dlx", "test-0af3", "test-0af3.dlx"])
def test_no_service_may_configure_hence_delete_an_exchange(exchange: str):
    assert not any(allowed(service, "configure", exchange) for service in definitions.SERVICES)


def test_only_publishers_write_to_the_exchange_and_everyone_replays_through_the_default_one():
    assert [s for s in definitions.SERVICES if allowed(s, "write", "ticketflow")] == [
        "intake",
        "routing",
        "notify",
    ]
    assert all(allowed(s, "write", "amq.default") for s in definitions.SERVICES)
    assert all(allowed(s, "write", "ticketflow.dlx") for s in definitions.SERVICES)


def test_test_names_are_allowed_only_when_asked_for():
    assert not allowed("notify", "configure", "test-0af3-notify.events", test_names=False)
    assert not allowed("notify", "read", "test-0af3", test_names=False)


def test_a_fresh_node_gets_the_vhost_an_administrator_and_the_exchanges():
    document = definitions.definitions(PASSWORDS, "ticketflow", "", fresh_node=True)
    assert document["vhosts"] == [{"name": "/"}]
    assert {u["name"]: u["tags"] for u in document["users"]} == {
        "ticketflow-intake": [],
        "ticketflow-routing": [],
        "ticketflow-notify": [],
        "ticketflow-reporting": [],
        "ticketflow-admin": ["administrator"],
    }
    assert all("admin-secret" not in json.dumps(u) for u in document["users"])
    assert {(e["name"], e["type"], e["durable"]) for e in document["exchanges"]} == {
        ("ticketflow", "topic", True),
        ("ticketflow.dlx", "direct", True),
    }


def test_the_script_prints_json_and_insists_on_every_password():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETFLOW_")}
    passwords = {definitions.password_variable(who): pw for who, pw in PASSWORDS.items()}
    run = [sys.executable, str(SCRIPT), "--fresh-node"]
    printed = subprocess.run(run, env=env | passwords, capture_output=True, check=True).stdout
    assert len(json.loads(printed)["users"]) == 5
    grants = subprocess.run([*run, "--grants"], env=env | passwords, capture_output=True, text=True)
    lines = [line.split("\t") for line in grants.stdout.splitlines()]
    assert [(fields[0], len(fields)) for fields in lines][:4] == [
        (f"ticketflow-{service}", 4) for service in definitions.SERVICES
    ]
    del passwords["TICKETFLOW_AMQP_PASSWORD_NOTIFY"]
    refused = subprocess.run(run, env=env | passwords, capture_output=True, text=True)
    assert refused.returncode != 0 and "TICKETFLOW_AMQP_PASSWORD_NOTIFY" in refused.stderr
