"""A ticket's email thread: Message-IDs, the subject's tag and the headers that link emails."""

from dataclasses import replace

from notify.domain.threads import (
    FIRST_IN_THREAD,
    event_message_id,
    full_thread,
    reference_in,
    reply_message_id,
    tagged_subject,
    threading_for,
)
from notify.domain.tickets import TicketView

ROOT, A, B = "<root@x>", "<a@x>", "<b@x>"


def test_message_ids_are_made_from_what_they_announce():
    assert event_message_id("0f3a", "TF-9", "mail.example") == "<0f3a.TF-9@mail.example>"
    assert reply_message_id("M-ab12", "TF-9", "mail.example") == "<M-ab12.TF-9@mail.example>"
    assert reply_message_id("M-ab12", "TF-9", "x") == reply_message_id("M-ab12", "TF-9", "x")
    # Nothing an id holds can break out of the header or the angle brackets.
    assert reply_message_id("M-1>\r\nBcc: a@b", "TF 9", "x") == "<M-1___Bcc__a_b.TF_9@x>"


def test_the_subject_tag_is_added_once_and_found_again():
    assert tagged_subject("Re: Printer", "TF-9") == "[TF-9] Re: Printer"
    assert tagged_subject("About [TF-9] today", "TF-9") == "About [TF-9] today"
    assert tagged_subject("About [TF-90]", "TF-9") == "[TF-9] About [TF-90]"
    assert reference_in("RE: AW: [TF-9] Re: Printer") == "TF-9"
    assert reference_in("[tf-9a] lower case") == "tf-9a"
    assert reference_in("no reference [TF-]") is None


def test_the_first_email_starts_the_thread_and_each_next_answers_the_one_before():
    assert threading_for([], ROOT) == FIRST_IN_THREAD
    assert threading_for([ROOT], ROOT) == FIRST_IN_THREAD
    second = threading_for([ROOT, A], A)
    assert (second.in_reply_to, second.references) == (ROOT, (ROOT,))
    third = threading_for([ROOT, A, B], B)
    assert (third.in_reply_to, third.references) == (A, (ROOT, A))
    # The same email placed again (a redelivered event) gets the same headers.
    assert threading_for([ROOT, A, B], A) == second


def test_an_email_missing_from_the_thread_answers_its_latest():
    assert threading_for([ROOT, A], B).in_reply_to == A


def test_references_keep_the_root_and_the_latest_few():
    thread = [ROOT, *(f"<{n}@x>" for n in range(30))]
    mine = "<mine@x>"
    headers = threading_for([*thread, mine], mine, kept=3)
    assert headers.in_reply_to == "<29@x>"
    assert headers.references == (ROOT, "<27@x>", "<28@x>", "<29@x>")
    assert threading_for([ROOT, A, B, mine], mine, kept=3).references == (ROOT, A, B)


def test_emails_from_before_threads_lead_an_old_tickets_thread():
    old = TicketView(
        "TF-1",
        "jane@example.com",
        None,
        "Printer",
        "technical",
        thread=("<reply@x>",),
        emailed_before_threads=("ev-created", "ev-assigned"),
    )
    assert full_thread(old, "x") == ("<ev-created.email@x>", "<ev-assigned.email@x>", "<reply@x>")
    again = TicketView("TF-1", "j@example.com", None, "P", "c", thread=("<ev-created.email@x>",))
    assert full_thread(replace(again, emailed_before_threads=("ev-created",)), "x") == (
        "<ev-created.email@x>",
    )
