"""The field cipher: sealing, opening, rotation, the blind index, and the settings behind it."""

import base64

import pytest
from pydantic import ValidationError

from ticketflow_shared import pii
from ticketflow_shared.pii import FieldCipher, PiiConfigError, UnreadableValue
from ticketflow_shared.settings import ServiceSettings

OLD = b"o" * 32
NEW = b"n" * 32
INDEX = b"i" * 32


def cipher(active: str = "k1", **keys: bytes) -> FieldCipher:
    return FieldCipher(keys or {"k1": OLD}, active, INDEX)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_a_sealed_value_opens_to_its_text_and_names_its_key():
    sealed = cipher().seal("pat@example.com", "ticket.customer.email")

    assert sealed.startswith("enc:v1:k1:")
    assert "pat@example.com" not in sealed
    assert pii.is_sealed(sealed) and pii.key_id_of(sealed) == "k1"
    assert cipher().open(sealed, "ticket.customer.email") == "pat@example.com"


def test_each_seal_takes_a_fresh_nonce():
    one = cipher()
    assert one.seal("Pat", "name") != one.seal("Pat", "name")


def test_unicode_and_empty_text_round_trip():
    one = cipher()
    for text in ("", "Zoë Ünal — 東京", "line\nbreak"):
        assert one.open(one.seal(text, "body"), "body") == text


def test_clear_text_from_before_sealing_reads_as_it_is():
    assert cipher().open("pat@example.com", "ticket.customer.email") == "pat@example.com"
    assert not pii.is_sealed("pat@example.com")


def test_a_value_sealed_for_one_field_does_not_open_as_another():
    sealed = cipher().seal("Charged twice", "ticket.subject")

    with pytest.raises(UnreadableValue):
        cipher().open(sealed, "ticket.body")


def test_a_tampered_value_is_refused():
    sealed = cipher().seal("Charged twice", "ticket.subject")
    prefix, token = sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-1] ^= 1
    tampered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"

    with pytest.raises(UnreadableValue):
        cipher().open(tampered, "ticket.subject")
    with pytest.raises(UnreadableValue):
        cipher().open(sealed[:-10], "ticket.subject")


def test_a_value_claiming_another_key_id_is_refused():
    sealed = cipher(k1=OLD, k2=NEW).seal("Pat", "name")
    relabelled = sealed.replace(":k1:", ":k2:", 1)

    with pytest.raises(UnreadableValue):
        cipher(k1=OLD, k2=NEW).open(relabelled, "name")


def test_a_key_id_outside_the_ring_is_refused():
    sealed = cipher("k2", k2=NEW).seal("Pat", "name")

    with pytest.raises(UnreadableValue, match="k2"):
        cipher().open(sealed, "name")


def test_rotation_keeps_old_values_readable_and_reseal_moves_them_to_the_active_key():
    old_value = cipher().seal("Pat", "name")
    rotated = cipher("k2", k1=OLD, k2=NEW)

    assert rotated.open(old_value, "name") == "Pat"
    assert not rotated.is_current(old_value)
    moved = rotated.reseal(old_value, "name")
    assert pii.key_id_of(moved) == "k2" and rotated.is_current(moved)
    assert rotated.open(moved, "name") == "Pat"
    assert rotated.reseal(moved, "name") == moved
    assert pii.key_id_of(rotated.reseal("Pat", "name")) == "k2"  # clear text gets sealed too


def test_the_blind_index_is_stable_normalised_and_keyed():
    one = cipher()

    assert one.blind_index("Pat@Example.COM") == one.blind_index("pat@example.com")
    assert one.blind_index("pat@example.com") != one.blind_index("pam@example.com")
    assert "pat" not in one.blind_index("pat@example.com")
    other_index_key = FieldCipher({"k1": OLD}, "k1", b"j" * 32)
    assert other_index_key.blind_index("pat@example.com") != one.blind_index("pat@example.com")
    # The sealing key does not change it, so rotating keys leaves every lookup working.
    assert cipher("k2", k1=OLD, k2=NEW).blind_index("pat@example.com") == one.blind_index(
        "pat@example.com"
    )
    assert pii.is_blind_index(one.blind_index("pat@example.com"))


@pytest.mark.parametrize(
    ("keys", "active", "index", "message"),
    [
        ({}, "k1", INDEX, "no PII keys"),
        ({"k1": b"short"}, "k1", INDEX, "5 bytes"),
        ({"k1": OLD}, "k2", INDEX, "active PII key"),
        ({"k:1": OLD}, "k:1", INDEX, "key id"),
        ({"k1": OLD}, "k1", b"x" * 8, "index key"),
        ({"k1": OLD}, "k1", OLD, "must differ"),
    ],
)
def test_unusable_keys_are_refused(keys, active, index, message):
    with pytest.raises(PiiConfigError, match=message):
        FieldCipher(keys, active, index)


def test_addresses_are_taken_out_of_text_for_logs():
    reply = "550 5.1.1 <pat.q+x@example.co.uk>: Recipient address rejected"
    assert pii.without_addresses(reply) == "550 5.1.1 <<address>>: Recipient address rejected"


def test_settings_build_the_cipher_from_the_environment(monkeypatch):
    monkeypatch.setenv("TICKETFLOW_PII_KEYS", f"k1:{b64(OLD)}, k2:{b64(NEW)}")
    monkeypatch.setenv("TICKETFLOW_PII_ACTIVE_KEY", "k2")
    monkeypatch.setenv("TICKETFLOW_PII_INDEX_KEY", b64(INDEX))

    settings = ServiceSettings()
    built = settings.field_cipher()

    assert pii.key_id_of(built.seal("Pat", "name")) == "k2"
    assert built.open(cipher().seal("Pat", "name"), "name") == "Pat"
    assert b64(OLD) not in repr(settings)


def test_one_key_needs_no_active_key_id():
    settings = ServiceSettings(pii_keys=f"solo:{b64(OLD)}", pii_index_key=b64(INDEX))
    assert settings.field_cipher().active == "solo"


def test_a_bad_key_length_stops_the_settings_from_loading():
    with pytest.raises(ValidationError, match="AES-256-GCM needs 32"):
        ServiceSettings(pii_keys=f"k1:{b64(b'x' * 16)}", pii_index_key=b64(INDEX))
    with pytest.raises(ValidationError, match="not base64"):
        ServiceSettings(pii_keys="k1:not base64!", pii_index_key=b64(INDEX))


def test_without_keys_a_service_that_stores_customer_data_refuses_to_start():
    settings = ServiceSettings(pii_keys="", pii_index_key="")
    with pytest.raises(PiiConfigError, match="TICKETFLOW_PII_KEYS"):
        settings.field_cipher()


def test_keys_env_makes_settings_that_load():
    lines = dict(line.split("=", 1) for line in pii.keys_env().splitlines())
    settings = ServiceSettings(
        pii_keys=lines["TICKETFLOW_PII_KEYS"],
        pii_active_key=lines["TICKETFLOW_PII_ACTIVE_KEY"],
        pii_index_key=lines["TICKETFLOW_PII_INDEX_KEY"],
    )
    assert settings.field_cipher().open(settings.field_cipher().seal("x", "f"), "f") == "x"


def test_sealed_bytes_open_by_their_key_and_purpose_only():
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    sealed = cipher().seal_bytes(data, "attachment.content")
    assert sealed.startswith(b"v1:k1:") and data not in sealed
    rotated = cipher("k2", k1=OLD, k2=NEW)
    assert rotated.open_bytes(sealed, "attachment.content") == data
    with pytest.raises(UnreadableValue):
        cipher().open_bytes(sealed, "attachment.filename")
    with pytest.raises(UnreadableValue):
        cipher("k2", k2=NEW).open_bytes(sealed, "attachment.content")
