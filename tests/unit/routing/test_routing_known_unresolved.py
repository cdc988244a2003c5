"""What a lone process knows of tickets without a resolution, and when it must not learn it."""

from routing.adapters.resolutions import KnownUnresolved


def test_a_ticket_found_without_a_resolution_is_known_until_one_is_written():
    known = KnownUnresolved()
    known.note("T-1", known.changes)
    assert "T-1" in known
    with known.writing("T-1"):
        assert "T-1" not in known
    assert "T-1" not in known


def test_nothing_is_learnt_while_a_write_of_resolutions_began_or_ended_or_is_under_way():
    known = KnownUnresolved()
    since = known.changes
    with known.writing("T-2"):  # another ticket's: it still counts, to keep this simple
        pass
    known.note("T-1", since)  # a write began and ended while T-1 was looked up
    assert "T-1" not in known

    with known.writing("T-1"):
        # Under way since before the look: its insert may not have landed when the look read.
        known.note("T-1", known.changes)
        assert "T-1" not in known


def test_what_is_known_is_bounded():
    known = KnownUnresolved()
    for n in range(KnownUnresolved.LIMIT + 1):
        known.note(f"T-{n}", known.changes)
    assert "T-0" not in known and f"T-{KnownUnresolved.LIMIT}" in known
