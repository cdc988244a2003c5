"""Which ticket an inbound email answers, and the reply without its quoted history."""

from intake.domain.email_threads import Reference, ticket_references, trim_quoted

DOMAIN = "ticketflow.local"
TICKET = "TF-0123456789AB"
OTHER = "TF-ZYXWVTSRQPNM"


def test_our_message_ids_name_their_ticket_nearest_first():
    headers = [f"<M-1.{TICKET}@{DOMAIN}>", f"<ev-1.{OTHER}@{DOMAIN}> <M-1.{TICKET}@{DOMAIN}>"]
    assert ticket_references(headers, "Re: hello", DOMAIN) == [
        Reference(TICKET, "M-1"),
        Reference(OTHER, "ev-1"),
    ]


def test_message_ids_of_another_domain_are_not_ours():
    headers = [f"<M-1.{TICKET}@evil.example>", "<abc@mail.example.com>"]
    assert ticket_references(headers, "Re: hello", DOMAIN) == []


def test_the_subject_names_a_ticket_tagged_or_bare_in_any_case():
    assert ticket_references([], f"Re: [{TICKET}] Printer", DOMAIN) == [Reference(TICKET)]
    assert ticket_references([], f"about {TICKET.lower()}, again", DOMAIN) == [Reference(TICKET)]
    assert ticket_references([], f"x{TICKET} or {TICKET}9", DOMAIN) == []


def test_a_ticket_named_twice_counts_once_and_headers_come_first():
    headers = [f"<ev-2.{TICKET}@{DOMAIN}>"]
    found = ticket_references(headers, f"Re: [{OTHER}] [{TICKET}]", DOMAIN)
    assert found == [Reference(TICKET, "ev-2"), Reference(OTHER)]


def test_at_most_a_few_candidates_are_read():
    many = " ".join(f"[TF-00000000000{i}]" for i in range(9))
    assert len(ticket_references([], many, DOMAIN)) == 3


def test_gmail_style_history_is_trimmed():
    body = (
        "Still broken, see below.\n\n"
        "On Mon, 1 Dec 2026 at 10:00, Support <support@ticketflow.local> wrote:\n"
        "> Please restart it.\n> Thanks\n"
    )
    assert trim_quoted(body) == "Still broken, see below."


def test_a_wrapped_on_wrote_line_is_a_quote_head():
    body = "Thanks!\n\nOn Mon, 1 Dec 2026 at 10:00, Support Team\n<support@x.example> wrote:\n> hi"
    assert trim_quoted(body) == "Thanks!"


def test_outlook_and_chinese_clients_history_is_trimmed():
    outlook = "Done.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\nSent: Monday\r\n"
    assert trim_quoted(outlook) == "Done."
    chinese = (
        "已经好了。\n\n发件人: 支持团队 <support@x.example>\n发送时间: 2026年12月1日\n收件人: 我"
    )
    assert trim_quoted(chinese) == "已经好了。"
    full_width = "好的\n\n发件人\uff1a支持团队\n日期\uff1a2026-12-01\n"  # full-width colons
    assert trim_quoted(full_width) == "好的"


def test_inline_answers_and_a_lone_from_line_stay():
    inline = "> Which model?\nThe X200.\n> Since when?\nMonday."
    assert trim_quoted(inline) == inline
    letter = "From: the accounts team I heard nothing.\nPlease call me."
    assert trim_quoted(letter) == letter


def test_a_mail_that_is_all_quote_keeps_its_text():
    assert trim_quoted("> only quoted\n> text\n") == "> only quoted\n> text"
