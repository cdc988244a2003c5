"""Pages for escalations and SLA breaches, and customers without an email, with fakes."""

from dataclasses import replace
from datetime import UTC, datetime

from notify_fakes import FakePaging, assigned, created, fake_deps

from factories import escalated_envelope, sla_envelope
from notify.domain.deliveries import DeliveryStatus
from notify.domain.paging import page_delivery_id
from notify.paging import consumed_events

AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


async def handle(deps, paging, envelope):
    await consumed_events(deps, paging)(envelope, envelope.payload())


async def test_a_customer_without_email_is_skipped_with_the_reason_and_nothing_sent():
    deps, paging = fake_deps(), FakePaging()
    first, second = created("TF-1", email=None), assigned("TF-1")
    for envelope in (first, second, second):
        await handle(deps, paging, envelope)

    assert deps.sender.sent == []
    rows = [deps.deliveries.rows[f"{e.id}:email"] for e in (first, second)]
    assert [(d.status, d.error, d.attempts) for d in rows] == [
        (DeliveryStatus.skipped, "the customer has no email address", 0)
    ] * 2
    assert deps.publish_outbox.published == []


async def test_a_paged_escalation_emails_each_address_once_however_often_it_arrives():
    deps = fake_deps()
    paging = FakePaging(billing=("lead@example.com", "duty@example.com"))
    await handle(deps, paging, created("TF-1"))
    escalation = escalated_envelope("TF-1", at=AT, page_supervisor=True, reason="waited 30 min")
    for _ in range(3):
        await handle(deps, paging, escalation)

    pages = [e for e in deps.sender.sent if e.recipient != "jane@example.com"]
    assert sorted(e.recipient for e in pages) == ["duty@example.com", "lead@example.com"]
    assert {e.subject for e in pages} == {"[TF-1] Escalated (wait): Invoice charged twice"}
    assert all("waited 30 min" in e.body for e in pages)
    root = "<TF-1.internal@ticketflow.local>"
    assert {(e.in_reply_to, e.references) for e in pages} == {(root, (root,))}
    customer = [e for e in deps.sender.sent if e.recipient == "jane@example.com"]
    assert len(customer) == 1  # the created email; the escalation's own template is off
    listed = await deps.tickets.deliveries_of("TF-1")
    assert page_delivery_id(escalation.id, "lead@example.com") in listed


async def test_an_escalation_without_paging_asked_pages_nobody():
    deps = fake_deps()
    paging = FakePaging(billing=("lead@example.com",))
    await handle(deps, paging, created("TF-1"))
    await handle(deps, paging, escalated_envelope("TF-1", at=AT, page_supervisor=False))
    assert [e.recipient for e in deps.sender.sent] == ["jane@example.com"]


async def test_a_breach_in_a_department_without_addresses_is_recorded_as_skipped():
    deps, paging = fake_deps(), FakePaging()
    await handle(deps, paging, created("TF-1"))
    breach = sla_envelope("TF-1", at=AT, department="technical")
    await handle(deps, paging, breach)
    await handle(deps, paging, breach)

    skipped = deps.deliveries.rows[page_delivery_id(breach.id)]
    assert (skipped.status, skipped.error) == (
        DeliveryStatus.skipped,
        "department technical has no paging addresses",
    )
    assert [e.recipient for e in deps.sender.sent] == ["jane@example.com"]


async def test_a_warning_tells_the_customer_only_once_its_template_is_on():
    deps, paging = fake_deps(), FakePaging(billing=("lead@example.com",))
    await handle(deps, paging, created("TF-1"))
    await handle(deps, paging, sla_envelope("TF-1", at=AT, breached=False))
    assert len(deps.sender.sent) == 1
    template = await deps.templates.get("sla.warning.v1")
    await deps.templates.put(replace(template, enabled=True))
    await handle(deps, paging, sla_envelope("TF-1", at=AT, breached=False))
    assert [e.subject for e in deps.sender.sent][-1] == "We are on your request [TF-1]"
