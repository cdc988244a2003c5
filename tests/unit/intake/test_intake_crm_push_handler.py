"""A CRM push through its handler, over in-memory stores: taken once, replayed, released."""

from datetime import datetime

import pytest
from intake_fakes import BILLING, GENERAL, FakeCategories, FakeClock, FakeTickets

from intake.crm_handlers import BadCrmRecord, take_push
from intake.crm_schemas import CrmEvent
from intake.customer_handlers import Customers
from intake.domain.crm_pushes import CrmEventReused, CrmPush
from intake.domain.customer_identities import Identity
from intake.domain.customer_profiles import CustomerProfile
from intake.domain.errors import MissingFields, UnknownCategory


class FakePushes:
    def __init__(self) -> None:
        self.kept: dict[str, CrmPush] = {}

    async def take(self, push: CrmPush, now: datetime) -> CrmPush | None:
        if push.key in self.kept:
            return self.kept[push.key]
        self.kept[push.key] = push
        return None

    async def finish(self, key: str, customer_id: str, ticket_id: str | None) -> None:
        push = self.kept[key]
        self.kept[key] = CrmPush(push.key, push.fingerprint, customer_id, ticket_id)

    async def release(self, key: str) -> None:
        if not self.kept[key].finished:
            del self.kept[key]


class FakeProfiles:
    def __init__(self) -> None:
        self.kept: dict[str, CustomerProfile] = {}

    async def get(self, customer_id: str) -> CustomerProfile | None:
        return self.kept.get(customer_id)

    async def list_identities(self, customer_id: str, keys: list[str]) -> None:
        return None

    async def save_crm_record(self, profile: CustomerProfile) -> None:
        self.kept[profile.id] = profile


class FakeIdentities:
    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    def stored_key(self, identity: Identity) -> str:
        return identity.key

    async def owner(self, identity: Identity) -> str | None:
        return self.owners.get(identity.key)

    async def claim(self, identity: Identity, customer_id: str, now: datetime) -> str:
        return self.owners.setdefault(identity.key, customer_id)


def event(event_id: str = "evt-1", **ticket: object) -> CrmEvent:
    body: dict = {
        "event_id": event_id,
        "system": "SalesCRM",
        "customer": {"external_id": "0031", "name": "Pat Lee", "email": "pat@example.com"},
    }
    if ticket:
        body["ticket"] = {
            "case_id": "5001",
            "subject": "Invoice wrong",
            "body": "The March invoice lists two seats.",
            "category": "billing",
            "fields": {"order_id": "A-7"},
            **ticket,
        }
    return CrmEvent.model_validate(body)


class Crm:
    def __init__(self) -> None:
        self.pushes = FakePushes()
        self.profiles = FakeProfiles()
        self.customers = Customers(self.profiles, FakeIdentities(), None)  # type: ignore[arg-type]
        self.tickets = FakeTickets()
        self.noted: dict[str, str] = {}

    async def take(self, pushed: CrmEvent):
        return await take_push(
            pushed,
            self.pushes,
            self.customers,
            self.tickets,
            FakeCategories(BILLING, GENERAL),
            "key:crm",
            clock=FakeClock(),
            noted=lambda **ids: self.noted.update(ids),
        )


@pytest.fixture
def crm() -> Crm:
    return Crm()


async def test_a_push_with_a_ticket_makes_both_and_a_redelivery_answers_the_same(crm) -> None:
    first = await crm.take(event(subject="Invoice wrong"))
    assert first.new and not first.replayed
    assert crm.noted == {"customer_id": first.customer_id, "ticket_id": first.ticket_id}
    assert crm.tickets.stored[first.ticket_id].customer.customer_id == first.customer_id

    again = await crm.take(event(subject="Invoice wrong"))
    assert (again.customer_id, again.ticket_id) == (first.customer_id, first.ticket_id)
    assert again.replayed and not again.new
    assert len(crm.tickets.stored) == 1


async def test_an_upsert_only_push_is_new_once_then_an_update(crm) -> None:
    created = await crm.take(event("evt-1"))
    updated = await crm.take(event("evt-2"))
    assert (created.new, updated.new) == (True, False)
    assert created.customer_id == updated.customer_id and created.ticket_id is None


async def test_the_same_id_with_another_body_is_refused(crm) -> None:
    await crm.take(event("evt-1"))
    with pytest.raises(CrmEventReused):
        await crm.take(event("evt-1", subject="Something else"))


@pytest.mark.parametrize(
    ("pushed", "error"),
    [
        (event(fields={}), MissingFields),
        (event(category="nope"), UnknownCategory),
    ],
)
async def test_a_refused_push_is_released_and_stores_no_customer(crm, pushed, error) -> None:
    with pytest.raises(error):
        await crm.take(pushed)
    assert crm.pushes.kept == {}
    assert crm.profiles.kept == {}


async def test_a_ticket_without_any_email_is_refused_and_released(crm) -> None:
    pushed = event(subject="Where is my order")
    pushed = pushed.model_copy(
        update={"customer": pushed.customer.model_copy(update={"email": None})}
    )
    with pytest.raises(BadCrmRecord):
        await crm.take(pushed)
    assert crm.pushes.kept == {}


async def test_a_corrected_push_may_come_again_under_a_released_id(crm) -> None:
    with pytest.raises(MissingFields):
        await crm.take(event(fields={}))
    taken = await crm.take(event(subject="Invoice wrong"))
    assert taken.new and taken.ticket_id
