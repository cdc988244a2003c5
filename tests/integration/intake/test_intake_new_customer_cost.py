"""A new customer's identity is looked up once and claimed once: the claim after triage does
not look again for an owner that the look before it just found missing."""

import asyncio

import pytest
from pymongo import monitoring

from intake.adapters.customer_identities import CUSTOMER_IDENTITIES
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import BusProbe, Namespace, serve_in_process

pytestmark = pytest.mark.integration


class IdentityCommands(monitoring.CommandListener):
    def __init__(self, database: str) -> None:
        self.database, self.sent = database, []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if event.database_name == self.database and target == CUSTOMER_IDENTITIES:
            self.sent.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def ticket(email: str, subject: str = "Router blinks red", body: str = "Since today.") -> dict:
    return {
        "channel": "api",
        "customer": {"email": email},
        "subject": subject,
        "body": body,
        "category": "general",
    }


async def test_a_new_customer_costs_one_lookup_and_one_claim(
    namespace: Namespace, bus_probe: BusProbe
):
    settings = namespace.settings(IntakeSettings, "intake")
    commands = IdentityCommands(settings.database_name)
    monitoring.register(commands)
    async with serve_in_process(create_app(settings)) as http:
        await asyncio.sleep(0.2)
        commands.sent.clear()
        first = await http.post("/tickets", json=ticket("new.one@example.com"))
        assert first.status_code == 201, first.text
        assert commands.sent == ["find", "insert"]

        commands.sent.clear()
        other_problem = ticket("new.one@example.com", "Invoice missing", "None for March.")
        again = await http.post("/tickets", json=other_problem)
        assert again.status_code == 201, again.text
        assert again.json()["customer"]["customer_id"] == first.json()["customer"]["customer_id"]
        assert "insert" not in commands.sent  # known: nothing claimed again
