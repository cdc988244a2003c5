"""Paging against real RabbitMQ, FerretDB/MongoDB and the SMTP catcher: the department's
addresses as data, one page per address and event, internal threading, skips recorded."""

import uuid

import pytest
from notify_helpers import NOW, Mailbox, created, new_ticket, poll, running_notify

from credentials import headers
from factories import created_envelope, escalated_envelope, sla_envelope
from support import BusProbe, Namespace

pytestmark = pytest.mark.integration
SENT = "notification.sent.v1"


def department() -> str:
    return f"dept-{uuid.uuid4().hex[:8]}"


async def test_paging_addresses_are_data_for_admins_and_the_departments_supervisors(
    namespace: Namespace,
) -> None:
    name, other = department(), department()
    lead = headers("supervisor", departments=(name,))
    async with running_notify(namespace) as notify:
        empty = await notify.get(f"/departments/{name}/paging")
        assert (empty.status_code, empty.json()["emails"]) == (200, [])
        put = await notify.put(
            f"/departments/{name}/paging",
            json={"emails": ["Lead@Example.com", "duty@example.com", "lead@example.com"]},
            headers=lead,
        )
        assert put.status_code == 200, put.text
        assert put.json()["emails"] == ["lead@example.com", "duty@example.com"]
        assert put.json()["updated_by"] == "user:tester"
        read = await notify.get(f"/departments/{name}/paging", headers=lead)
        assert read.json()["emails"] == ["lead@example.com", "duty@example.com"]

        other_dept = await notify.get(f"/departments/{other}/paging", headers=lead)
        assert other_dept.status_code == 404
        agent = headers("agent", departments=(name,))
        assert (await notify.get(f"/departments/{name}/paging", headers=agent)).status_code == 403
        bad = await notify.put(f"/departments/{name}/paging", json={"emails": ["not-an-address"]})
        assert bad.status_code == 422 and "emails" in bad.text
        extra = await notify.put(f"/departments/{name}/paging", json={"emails": [], "x": 1})
        assert extra.status_code == 422


async def test_an_escalation_and_a_breach_page_the_department_once_each(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id, customer = new_ticket()
    name = department()
    lead, duty = f"lead-{name}@example.com", f"duty-{name}@example.com"
    async with running_notify(namespace) as notify:
        put = await notify.put(f"/departments/{name}/paging", json={"emails": [lead, duty]})
        assert put.status_code == 200, put.text
        await bus_probe.publish(created(ticket_id, customer))
        await bus_probe.wait_for(SENT, ticket_id)
        escalation = escalated_envelope(
            ticket_id, at=NOW, department=name, page_supervisor=True, reason="waited 30 min"
        )
        breach = sla_envelope(ticket_id, at=NOW, department=name, target="resolution")
        for envelope in (escalation, breach, escalation, breach):
            await bus_probe.publish(envelope)
        await bus_probe.wait_for(SENT, ticket_id, count=5)

        to_lead = await Mailbox(namespace.servers.smtp_api, lead).wait_for(2)
        to_duty = await Mailbox(namespace.servers.smtp_api, duty).wait_for(2)
        assert sorted(m["subject"] for m in to_lead) == [
            f"[{ticket_id}] Escalated (wait): Invoice charged twice",
            f"[{ticket_id}] SLA breached (resolution): Invoice charged twice",
        ]
        assert len(to_duty) == 2
        customer_mail = await Mailbox(namespace.servers.smtp_api, customer).messages()
        assert len(customer_mail) == 1  # only "we received": pages never reach the customer

        listed = (await notify.get("/notifications", params={"ticket_id": ticket_id})).json()
        pages = [n for n in listed["data"] if n["template"].startswith("page.")]
        assert sorted((n["template"], n["recipient"], n["status"]) for n in pages) == sorted(
            (t, r, "sent") for t in ("page.escalated", "page.sla_breached") for r in (lead, duty)
        )
        root = f"<{ticket_id}.internal@ticketflow.local>"
        assert {(n["in_reply_to"], tuple(n["references"])) for n in pages} == {(root, (root,))}
    assert len(bus_probe.of_type(SENT, ticket_id)) == 5


async def test_without_addresses_or_email_the_log_says_skipped(
    namespace: Namespace, bus_probe: BusProbe
) -> None:
    ticket_id = f"TF-{uuid.uuid4().hex[:12]}"
    chat = created_envelope(ticket_id, email=None, name="Chat user", created_at=NOW)
    breach = sla_envelope(ticket_id, at=NOW, department=department())
    async with running_notify(namespace) as notify:
        await bus_probe.publish(chat)
        await bus_probe.publish(breach)

        async def logged() -> list[dict]:
            found = await notify.get("/notifications", params={"ticket_id": ticket_id})
            return found.json()["data"]

        rows = await poll(logged, lambda found: len(found) == 2)
        assert sorted((n["template"], n["status"], n["error"]) for n in rows) == [
            (
                "page.sla_breached",
                "skipped",
                f"department {breach.data['department']} has no paging addresses",
            ),
            ("ticket.created.v1", "skipped", "the customer has no email address"),
        ]
    assert bus_probe.of_type(SENT, ticket_id) == []
