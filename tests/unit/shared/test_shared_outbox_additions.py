"""Which store writes add outbox entries, and to which documents: what the relay is told."""

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

from ticketflow_shared.outbox import EMPTIED, outbox_additions

ENTRY = {"id": "e1", "type": "ticket.resolved.v1", "body": "{}"}


def test_inserts_of_documents_holding_entries():
    assert outbox_additions("insert_one", ({"_id": "T1", "outbox": [ENTRY]},), {}) == ["T1"]
    assert outbox_additions("insert_one", (), {"document": {"_id": "T1", "outbox": []}}) == []
    docs = [{"_id": "A", "outbox": [ENTRY]}, {"_id": "B"}, {"_id": "C", "outbox": [ENTRY]}]
    assert outbox_additions("insert_many", (docs,), {}) == ["A", "C"]


def test_updates_by_id_that_push_or_set_entries():
    push = {"$push": {"outbox": {"$each": [ENTRY]}}, "$set": {"status": "solved"}}
    assert outbox_additions("update_one", ({"_id": "T1", "version": 3}, push), {}) == ["T1"]
    assert outbox_additions("find_one_and_update", ({"_id": "T1"}, push), {}) == ["T1"]
    setting = {"$set": {"outbox": [ENTRY]}}
    assert outbox_additions("update_one", (), {"filter": {"_id": "T1"}, "update": setting}) == [
        "T1"
    ]
    assert outbox_additions("replace_one", ({"_id": "T1"}, {"outbox": [ENTRY]}), {}) == ["T1"]


def test_writes_that_add_nothing_or_name_no_single_id():
    assert outbox_additions("update_one", ({"_id": "T1"}, EMPTIED), {}) == []
    pull = {"$pullAll": {"outbox": [ENTRY]}}
    assert outbox_additions("update_one", ({"_id": "T1"}, pull), {}) == []
    push = {"$push": {"outbox": ENTRY}}
    assert outbox_additions("update_one", ({"_id": {"$in": ["A", "B"]}}, push), {}) == []
    assert outbox_additions("update_many", ({"status": "new"}, push), {}) == []
    assert outbox_additions("delete_one", ({"_id": "T1"},), {}) == []


def test_bulk_writes_by_request():
    requests = [
        InsertOne({"_id": "A", "outbox": [ENTRY]}),
        UpdateOne({"_id": "B"}, {"$push": {"outbox": ENTRY}}),
        UpdateOne({"_id": "C"}, EMPTIED),
        ReplaceOne({"_id": "D"}, {"outbox": [ENTRY]}),
        DeleteOne({"_id": "E"}),
    ]
    assert outbox_additions("bulk_write", (requests,), {"ordered": False}) == ["A", "B", "D"]
