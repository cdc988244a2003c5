"""Map fields replaced key by key, so a store that ignores keys when comparing still writes."""

import pytest

from ticketflow_shared.store import replace_map


def test_other_keys_with_equal_values_are_set_and_the_old_keys_unset():
    assert replace_map("skills", {"yy": 3}, {"ww": 3}) == {
        "$set": {"skills.ww": 3},
        "$unset": {"skills.yy": ""},
    }


def test_only_what_changed_is_written():
    old = {"billing": 9, "account": 4}
    assert replace_map("skills", old, {"billing": 9, "account": 5}) == {
        "$set": {"skills.account": 5}
    }
    assert replace_map("skills", old, dict(old)) == {}
    assert replace_map("skills", old, {}) == {
        "$unset": {"skills.billing": "", "skills.account": ""}
    }


def test_a_value_of_another_type_counts_as_changed():
    assert replace_map("m", {"a": 1}, {"a": True}) == {"$set": {"m.a": True}}
    assert replace_map("m", {"a": 1}, {"a": 1.0}) == {"$set": {"m.a": 1.0}}


@pytest.mark.parametrize("stored", [None, 7, ["a"]])
def test_a_missing_or_non_map_field_is_set_whole(stored):
    assert replace_map("skills", stored, {"ww": 3}) == {"$set": {"skills": {"ww": 3}}}


def test_nested_maps_are_compared_key_by_key():
    old = {"eu": {"de": 1}, "us": {"ny": 2}}
    new = {"eu": {"fr": 1}, "us": 5}
    assert replace_map("regions", old, new) == {
        "$set": {"regions.eu.fr": 1, "regions.us": 5},
        "$unset": {"regions.eu.de": ""},
    }


@pytest.mark.parametrize("key", ["a.b", "$where", "a$", "", "nul\0", 3])
def test_keys_that_are_not_plain_names_are_refused(key):
    with pytest.raises(ValueError, match="not a plain field name"):
        replace_map("skills", {"ok": 1}, {key: 1})
    with pytest.raises(ValueError, match="not a plain field name"):
        replace_map("skills", {key: 1}, {"ok": 1})
    with pytest.raises(ValueError, match="not a plain field name"):
        replace_map("skills", None, {"ok": {key: 1}})
