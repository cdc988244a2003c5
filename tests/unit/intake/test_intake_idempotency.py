"""Ticket ids and the Idempotency-Key body-mismatch rule."""

import re

import pytest
from intake_fakes import create_command

from intake.domain.errors import IdempotencyConflict
from intake.domain.idempotency import (
    IdempotencyRecord,
    ensure_same_request,
    new_ticket_id,
    request_fingerprint,
    ticket_id_for_key,
)

TICKET_ID = re.compile(r"^TF-[0-9A-HJKMNP-TV-Z]{12}$")


def test_new_ids_are_human_friendly_and_distinct():
    ids = {new_ticket_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(TICKET_ID.match(ticket_id) for ticket_id in ids)


def test_a_key_always_maps_to_the_same_id_and_different_keys_to_different_ids():
    assert ticket_id_for_key("order-42-retry") == ticket_id_for_key("order-42-retry")
    assert ticket_id_for_key("order-42-retry") != ticket_id_for_key("order-43-retry")
    assert TICKET_ID.match(ticket_id_for_key("order-42-retry"))


def test_fingerprint_ignores_key_order():
    assert request_fingerprint({"a": 1, "b": {"c": 2, "d": 3}}) == request_fingerprint(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )


def test_fingerprint_tells_values_apart():
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})


def test_command_fingerprint_ignores_the_key_itself_and_omitted_nulls():
    plain = create_command(idempotency_key="k1")
    explicit_null = create_command(idempotency_key="k2", priority=None)
    assert plain.fingerprint() == explicit_null.fingerprint()


def test_command_fingerprint_changes_with_the_body():
    assert create_command().fingerprint() != create_command(subject="Other").fingerprint()


def test_the_same_key_and_body_is_a_replay():
    assert IdempotencyRecord("k", "abc").matches("k", "abc") is True


@pytest.mark.parametrize(("key", "fingerprint"), [("k", "other-body"), ("other-key", "abc")])
def test_another_key_or_body_is_no_replay(key, fingerprint):
    assert IdempotencyRecord("k", "abc").matches(key, fingerprint) is False


@pytest.mark.parametrize(
    "stored",
    [
        IdempotencyRecord("k", "other-body"),  # same key, different body
        IdempotencyRecord("other-key", "abc"),  # id clash with another key
        None,  # id clash with a ticket made without a key
    ],
)
def test_anything_else_is_a_conflict(stored):
    with pytest.raises(IdempotencyConflict) as raised:
        ensure_same_request(stored, "TF-1", "k", "abc")
    assert raised.value.ticket_id == "TF-1"
