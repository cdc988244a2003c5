"""What a lone process knows is not in the store, and when it must not learn it."""

from routing.adapters.absent import KnownAbsent


def test_a_document_found_missing_is_known_until_a_write_of_it_begins():
    known = KnownAbsent()
    known.note("T-1", known.mark("T-1"))
    assert "T-1" in known
    with known.writing("T-1"):
        assert "T-1" not in known
    assert "T-1" not in known


def test_nothing_is_learnt_of_a_document_written_during_the_look_or_still_being_written():
    known = KnownAbsent()
    since = known.mark("T-1")
    with known.writing("T-1"):  # began and ended while T-1 was looked up
        pass
    known.note("T-1", since)
    assert "T-1" not in known

    with known.writing("T-1"):
        # Under way since before the look: its insert may not have landed when the look read.
        known.note("T-1", known.mark("T-1"))
        assert "T-1" not in known


def test_writes_of_other_documents_do_not_stop_learning():
    known = KnownAbsent()
    since = known.mark("T-1")
    with known.writing("T-2"):
        known.note("T-1", since)
    assert "T-1" in known and "T-2" not in known


def test_a_mark_taken_before_writes_were_forgotten_teaches_nothing():
    known = KnownAbsent()
    since = known.mark("T-1")
    with known.writing("T-1"):
        pass
    for n in range(KnownAbsent.LIMIT):  # T-1's writes drop out of what is kept
        with known.writing(f"U-{n}"):
            pass
    known.note("T-1", since)
    assert "T-1" not in known


def test_what_is_known_is_bounded():
    known = KnownAbsent()
    for n in range(KnownAbsent.LIMIT + 1):
        known.note(f"T-{n}", known.mark(f"T-{n}"))
    assert "T-0" not in known and f"T-{KnownAbsent.LIMIT}" in known
