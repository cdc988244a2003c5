import pytest

from intake.customer_linking import identities_of
from intake.domain.customer_identities import (
    Identity,
    InvalidIdentity,
    chat_identity,
    email_identity,
    external_identity,
    merged_identities,
    phone_identity,
)
from ticketflow_shared.events import Customer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("0049 (30) 123-4567", "+49301234567"),
        ("+1.415.555.0100", "+14155550100"),
    ],
)
def test_phone_numbers_are_kept_in_e164_form(raw: str, expected: str) -> None:
    assert phone_identity(raw) == Identity("phone", expected)


@pytest.mark.parametrize("raw", ["020 7946 0958", "+44 20 ext 5", "+123", "+0123456789", ""])
def test_a_number_without_its_country_code_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentity):
        phone_identity(raw)


def test_addresses_match_whatever_their_case() -> None:
    assert email_identity(" Pat@Example.COM ").key == "email:pat@example.com"


@pytest.mark.parametrize("raw", ["pat", "@example.com", "pat@", "a@b@c"])
def test_a_string_that_is_no_address_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentity):
        email_identity(raw)


def test_external_and_chat_ids_name_their_system() -> None:
    assert external_identity("HubSpot", "C-17").key == "external:hubspot:C-17"
    assert chat_identity("T024BE7LD", "U2147483697").key == "chat:t024be7ld:U2147483697"


@pytest.mark.parametrize("raw", ["", "a b", "x" * 201, "id:with:colons"])
def test_ids_that_could_collide_or_overflow_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentity):
        external_identity("crm", raw)


def test_a_merge_keeps_every_identity_of_both_records_once() -> None:
    pat = [email_identity("pat@example.com"), phone_identity("+442079460958")]
    chat = [chat_identity("slack", "U1"), email_identity("PAT@example.com")]
    merged = merged_identities(pat, chat)
    assert [i.key for i in merged] == [
        "chat:slack:U1",
        "email:pat@example.com",
        "phone:+442079460958",
    ]


def test_a_ticket_customer_is_named_by_address_and_international_phone() -> None:
    customer = Customer(email="Pat@example.com", phone="+44 20 7946 0958")
    assert [i.key for i in identities_of(customer)] == [
        "email:pat@example.com",
        "phone:+442079460958",
    ]


def test_a_local_phone_number_names_nobody_and_does_not_refuse_the_ticket() -> None:
    assert identities_of(Customer(phone="020 7946 0958")) == []
