"""The pure parts of customer records: timeline paging, CRM updates, merge checks, and what
undoing a merge gives back."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.customer_profiles import (
    BadQuery,
    CannotMerge,
    CannotUnmerge,
    CustomerProfile,
    absorbed,
    check_merge,
    check_unmerge,
    decode_cursor,
    entry_ticket_id,
    fields_to_clear,
    merge_undo,
    owners_in_conflict,
    timeline_entry,
    timeline_page,
)

START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def entries(count: int) -> list[str]:
    return [timeline_entry(START + timedelta(minutes=n), f"TF-{n}") for n in range(count)]


def test_pages_run_newest_first_and_end_without_a_cursor() -> None:
    filed = entries(5)
    first = timeline_page(filed, None, 2)
    assert [entry_ticket_id(e) for e in first.entries] == ["TF-4", "TF-3"]
    second = timeline_page(filed, first.next_cursor, 2)
    assert [entry_ticket_id(e) for e in second.entries] == ["TF-2", "TF-1"]
    last = timeline_page(filed, second.next_cursor, 2)
    assert ([entry_ticket_id(e) for e in last.entries], last.next_cursor) == (["TF-0"], None)


def test_entries_sort_by_time_across_a_merge_and_repeat_once() -> None:
    mine, theirs = entries(4)[::2], entries(4)[1::2]
    page = timeline_page([*mine, *theirs, *theirs], None, 10)
    assert [entry_ticket_id(e) for e in page.entries] == ["TF-3", "TF-2", "TF-1", "TF-0"]


@pytest.mark.parametrize("cursor", ["%%%", "bm8tYmFy", "\u00e9"])
def test_a_cursor_not_given_out_is_refused(cursor: str) -> None:
    with pytest.raises(BadQuery):
        decode_cursor(cursor)


def test_a_crm_record_updates_what_it_names_and_keeps_the_rest() -> None:
    profile = CustomerProfile("C-1", name="Pat", tier="gold", external_ids=("crm:1",))
    updated = profile.with_crm_record("erp", "77", {"tier": "platinum", "name": None})
    assert (updated.name, updated.tier, updated.external_ids) == (
        "Pat",
        "platinum",
        ("crm:1", "erp:77"),
    )


def test_only_ids_of_two_customers_conflict() -> None:
    assert owners_in_conflict({"email:a": "C-1", "phone:b": None, "external:x": "C-1"}) == {}
    assert owners_in_conflict({"email:a": "C-1", "external:x": "C-2"}) == {
        "email:a": "C-1",
        "external:x": "C-2",
    }


def test_merge_checks() -> None:
    survivor, merged = CustomerProfile("C-1"), CustomerProfile("C-2")
    assert check_merge(survivor, merged) is True
    assert check_merge(survivor, CustomerProfile("C-2", merged_into="C-1")) is False
    refused = [
        (survivor, survivor),
        (survivor, CustomerProfile("C-2", merged_into="C-3")),
        (CustomerProfile("C-1", merged_into="C-3"), merged),
        (survivor, CustomerProfile("C-2", merges=("C-1",))),
    ]
    for one, other in refused:
        with pytest.raises(CannotMerge):
            check_merge(one, other)


def test_the_survivor_keeps_its_fields_and_takes_every_crm_id() -> None:
    survivor = CustomerProfile("C-1", name="Pat", external_ids=("crm:1",))
    merged = CustomerProfile("C-2", name="P. Lee", company="Acme", external_ids=("erp:9",))
    combined = absorbed(survivor, merged)
    assert (combined.id, combined.name, combined.company, combined.external_ids) == (
        "C-1",
        "Pat",
        "Acme",
        ("crm:1", "erp:9"),
    )


def test_a_merge_keeps_what_it_gives_the_survivor_and_an_unmerge_takes_back_the_unchanged():
    survivor = CustomerProfile("C-1", name="Pat", external_ids=("crm:1",))
    merged = CustomerProfile(
        "C-2", "P. Lee", "gold", "Acme", external_ids=("crm:1", "erp:9"), merges=("C-3",)
    )
    undo = merge_undo(survivor, merged, ["email:a"], ["email:a", "email:b", "chat:x:y"])
    assert undo.merges == ("C-2", "C-3")
    assert undo.keys == ("email:b", "chat:x:y")  # the survivor's own key stays its own
    assert undo.external_ids == ("erp:9",)
    assert undo.fields == ("tier", "company")  # name: the survivor had one

    combined = absorbed(survivor, merged)
    changed_since = replace(combined, tier="platinum")
    assert fields_to_clear(changed_since, merged, undo) == ("company",)


def test_only_a_record_merged_into_this_one_is_unmerged_and_not_through_a_later_merge():
    survivor = CustomerProfile("C-1", merges=("C-2",))
    merged = CustomerProfile("C-2", merged_into="C-1")
    check_unmerge(survivor, merged)
    with pytest.raises(CannotUnmerge):
        check_unmerge(survivor, CustomerProfile("C-3"))
    with pytest.raises(CannotUnmerge):
        check_unmerge(merged, survivor)
    moved_on = CustomerProfile("C-1", merges=("C-2",), merged_into="C-9")
    with pytest.raises(CannotUnmerge, match="C-9"):
        check_unmerge(moved_on, merged)
