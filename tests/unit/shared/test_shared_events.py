"""Event contracts: strict in, complete out, versioned by type."""

import json

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from ticketflow_shared.events import (
    Envelope,
    InvalidEvent,
    Position,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketStatus,
    is_newer,
    parse_envelope,
    utcnow,
)
from ticketflow_shared.outbox import merge_updates, push_outbox, with_trace


def created(**overrides: object) -> TicketCreatedV1:
    fields = {
        "ticket_id": "TF-1",
        "channel": "web",
        "customer": {"email": "ana@example.com", "name": "Ana"},
        "subject": "Invoice wrong",
        "body": "Charged twice",
        "category": "billing",
        "priority": "high",
        "created_at": utcnow(),
    }
    return TicketCreatedV1(**{**fields, **overrides})


def test_envelope_round_trip_keeps_every_field() -> None:
    payload = created(fields={"order": "A-1", "amount": 12.5})
    envelope = Envelope.wrap(payload, source="/ticketflow/intake", subject="TF-1")

    parsed_envelope, parsed = parse_envelope(envelope.model_dump_json().encode())

    assert parsed_envelope == envelope
    assert parsed == payload
    assert envelope.type == "ticket.created.v1"
    assert envelope.specversion == "1.0"


def test_the_sequence_travels_in_the_envelope_and_may_be_absent() -> None:
    envelope = Envelope.wrap(created(), source="/ticketflow/intake", subject="TF-1", sequence=3)
    body = json.loads(envelope.model_dump_json())
    assert body["sequence"] == 3
    assert parse_envelope(json.dumps(body).encode())[0].sequence == 3

    del body["sequence"]  # as written before sequences existed
    assert parse_envelope(json.dumps(body).encode())[0].sequence is None
    # CloudEvents defines the extension as a string; a numeric one is read as the number.
    assert parse_envelope(json.dumps({**body, "sequence": "7"}).encode())[0].sequence == 7
    with pytest.raises(InvalidEvent, match="sequence"):
        parse_envelope(json.dumps({**body, "sequence": -1}).encode())


def test_in_sequence_stamps_a_copy() -> None:
    envelope = Envelope.wrap(created(), source="/ticketflow/intake", subject="TF-1")
    stamped = envelope.in_sequence(5)
    assert (envelope.sequence, stamped.sequence, stamped.id) == (None, 5, envelope.id)


def test_the_producer_is_the_last_part_of_the_source_and_safe_as_a_field_name() -> None:
    def producer(source: str) -> str:
        return Envelope.wrap(created(), source=source, subject="TF-1").producer

    assert producer("/ticketflow/routing") == "routing"
    assert producer("/ticketflow/routing/") == "routing"
    assert producer("/x/$bad.name") == "_bad_name"
    envelope = Envelope.wrap(created(), source="/ticketflow/intake", subject="TF-1", sequence=2)
    assert envelope.position() == Position(envelope.id, "intake", 2)


@pytest.mark.parametrize(
    ("sequence", "applied", "newer"),
    [
        (1, None, True),  # nothing applied yet
        (3, 2, True),
        (2, 2, False),  # a repeat
        (1, 2, False),  # a late event
        (None, None, True),  # from before sequences, nothing sequenced applied
        (None, 2, False),  # from before sequences: never over a sequenced one
    ],
)
def test_only_an_event_above_the_high_water_mark_is_newer(sequence, applied, newer) -> None:
    assert is_newer(sequence, applied) is newer
    assert Position("e", "routing", sequence).is_newer_than(applied) is newer


def test_advance_keeps_the_highest_sequence_per_producer() -> None:
    marks: dict[str, int] = {"intake": 9}
    Position("a", "routing", 2).advance(marks)
    Position("b", "routing", 1).advance(marks)  # never lowers a mark
    Position("c", "routing", None).advance(marks)  # an unordered event sets none
    assert marks == {"intake": 9, "routing": 2}


def test_unknown_payload_field_is_rejected_on_the_way_in() -> None:
    envelope = Envelope.wrap(created(), source="/x", subject="TF-1")
    tampered = envelope.model_copy(update={"data": {**envelope.data, "surprise": 1}})

    with pytest.raises(InvalidEvent, match="surprise"):
        parse_envelope(tampered.model_dump_json().encode())


def test_unknown_payload_field_is_rejected_on_the_way_out() -> None:
    with pytest.raises(ValueError, match="surprise"):
        created(surprise=1)


def test_unknown_envelope_field_and_garbage_are_invalid() -> None:
    envelope = Envelope.wrap(created(), source="/x", subject="TF-1").model_dump(mode="json")
    with pytest.raises(InvalidEvent, match="extra"):
        parse_envelope(json.dumps({**envelope, "extra": "x"}).encode())
    with pytest.raises(InvalidEvent):
        parse_envelope(b"{not json")


def test_unknown_event_type_is_invalid() -> None:
    envelope = Envelope(source="/x", type="ticket.exploded.v9", subject="TF-1", data={})
    with pytest.raises(InvalidEvent, match="unknown event type"):
        envelope.payload()


def test_bad_email_is_rejected() -> None:
    with pytest.raises(ValueError, match="email"):
        created(customer={"email": "not-an-address"})


def test_priority_rank_serves_urgent_first() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.urgent,
        Priority.high,
        Priority.normal,
        Priority.low,
    ]


def test_outbox_entries_carry_the_whole_envelope() -> None:
    envelopes = [
        Envelope.wrap(created(), source="/x", subject="TF-1"),
        Envelope.wrap(
            TicketAssignedV1(
                ticket_id="TF-1",
                agent_id="a1",
                agent_name="Ana",
                department="billing",
                skill="billing",
                skill_level=7,
                assigned_at=utcnow(),
            ),
            source="/y",
            subject="TF-1",
        ),
    ]
    update, entries = push_outbox(envelopes)

    assert [Envelope.model_validate_json(e["body"]) for e in entries] == envelopes
    assert update["$push"]["outbox"]["$each"] == entries
    merged = merge_updates({"$set": {"status": "open"}}, update)
    assert merged["$set"] == {"status": "open"}
    assert "outbox_since" in merged["$min"]


def test_with_trace_stamps_the_current_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    envelope = Envelope.wrap(created(), source="/x", subject="TF-1")
    assert with_trace(envelope).traceparent is None
    with tracer.start_as_current_span("request") as span:
        stamped = with_trace(envelope)
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert stamped.traceparent is not None
    assert stamped.traceparent.split("-")[1] == trace_id
    assert trace.get_current_span().get_span_context().is_valid is False


def test_nan_and_infinity_never_enter_an_event() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            created(fields={"amount": bad})


def test_statuses_written_before_the_lifecycle_read_as_their_successors():
    assert TicketStatus("assigned") is TicketStatus.open
    assert TicketStatus("resolved") is TicketStatus.solved
    with pytest.raises(ValueError):
        TicketStatus("archived")
