"""The store command listener files each command under its name and collection."""

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from pymongo import monitoring

from ticketflow_shared.metrics import StoreCommands, StoreCommandsCollector


def started(command: dict) -> monitoring.CommandStartedEvent:
    return monitoring.CommandStartedEvent(command, "db", 1, ("127.0.0.1", 27017), 1)


def test_commands_are_counted_by_name_and_collection_getmore_included():
    commands = StoreCommands()
    for command in (
        {"find": "tickets", "filter": {"_id": "TF-1"}},
        {"find": "tickets", "filter": {}},
        {"update": "tickets", "updates": []},
        {"getMore": 123456789, "collection": "queue"},
        {"ping": 1},
    ):
        commands.started(started(command))

    assert commands.counts == {
        ("find", "tickets"): 2,
        ("update", "tickets"): 1,
        ("getMore", "queue"): 1,
        ("ping", ""): 1,
    }


def test_counts_are_exposed_as_one_prometheus_counter_family():
    commands = StoreCommands()
    commands.started(started({"insert": "inbox", "documents": []}))
    registry = CollectorRegistry()
    registry.register(StoreCommandsCollector(commands))

    text = generate_latest(registry).decode()

    assert 'ticketflow_store_commands_total{collection="inbox",command="insert"} 1.0' in text


def test_the_time_to_each_reply_is_summed_under_the_command_it_answers():
    commands = StoreCommands()
    address = ("127.0.0.1", 27017)
    for request_id, millis in ((1, 3), (2, 5)):
        commands.started(
            monitoring.CommandStartedEvent({"find": "queue"}, "db", request_id, address, 1)
        )
        commands.succeeded(
            monitoring.CommandSucceededEvent(
                timedelta(milliseconds=millis), {"ok": 1}, "find", request_id, address, 1
            )
        )

    assert commands.micros == {("find", "queue"): 8000}
