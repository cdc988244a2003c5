"""The inbound email parser on real-world-shaped messages."""

import base64
import quopri

import pytest

from intake.adapters.email_parser import MalformedEmail, UnusableSender, html_to_text, parse_email


def _gbk_subject(text: str) -> str:
    return "=?GBK?B?" + base64.b64encode(text.encode("gbk")).decode() + "?="


def test_gbk_subject_and_body_are_decoded():
    body = base64.b64encode("我的订单没有到。".encode("gbk")).decode()
    raw = (
        f"From: =?GB2312?B?{base64.b64encode('张三'.encode('gb2312')).decode()}?="
        " <zhang@example.cn>\r\n"
        f"Subject: {_gbk_subject('订单问题')}\r\nMessage-ID: <a1@example.cn>\r\n"
        "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{body}\r\n"
    ).encode()
    mail = parse_email(raw)
    assert (mail.subject, mail.body, mail.sender_name) == ("订单问题", "我的订单没有到。", "张三")
    assert mail.sender_email == "zhang@example.cn"


def test_quoted_printable_latin1():
    qp = quopri.encodestring("Grüße, ça marche pas".encode("iso-8859-1")).decode()
    raw = (
        "From: Jo <jo@example.fr>\r\nSubject: =?ISO-8859-1?Q?R=E9clamation?=\r\n"
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n"
    ).encode()
    mail = parse_email(raw)
    assert mail.subject == "Réclamation"
    assert mail.body == "Grüße, ça marche pas"


def test_html_only_drops_scripts_and_styles():
    raw = (
        b"From: a@example.com\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Hello</p>"
        b"<script>alert(1)</script><p>World &amp; co</p></body></html>\r\n"
    )
    assert parse_email(raw).body == "Hello\nWorld & co"


def test_nested_alternative_in_mixed_with_attachment():
    raw = (
        b"From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain text\r\n"
        b"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>html text</p>\r\n--inner--\r\n"
        b"--outer\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="inv.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"%PDF-1.4 x")
        + b"\r\n--outer--\r\n"
    )
    mail = parse_email(raw)
    assert mail.body == "plain text"
    assert [(a.filename, a.content_type, a.content) for a in mail.attachments] == [
        ("inv.pdf", "application/pdf", b"%PDF-1.4 x")
    ]


def test_unknown_charset_is_replaced_and_noted():
    raw = (
        b"From: a@example.com\r\nSubject: s\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\nok \xff\r\n"
    )
    mail = parse_email(raw)
    assert mail.body.startswith("ok \ufffd")
    assert any("x-klingon" in n for n in mail.notes)


def test_malformed_boundary_does_not_crash():
    raw = (
        b'From: a@example.com\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary="nope"'
        b"\r\n\r\nbody without parts\r\n"
    )
    with pytest.raises(MalformedEmail):
        parse_email(raw)


def test_no_sender_is_malformed():
    with pytest.raises(MalformedEmail):
        parse_email(b"Subject: s\r\n\r\nbody\r\n")


def test_huge_header_is_parsed():
    raw = b"From: a@example.com\r\nSubject: " + b"x" * 200_000 + b"\r\n\r\nbody\r\n"
    assert len(parse_email(raw).subject) == 200_000


def test_missing_message_id_hashes_the_bytes():
    raw = b"From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n"
    assert parse_email(raw).message_id == parse_email(raw).message_id
    assert parse_email(raw).message_id.startswith("sha256:")
    assert parse_email(raw + b"x").message_id != parse_email(raw).message_id


def test_threading_headers_are_kept_in_reply_to_first():
    raw = (
        b"From: a@example.com\r\nSubject: Re: [TF-77] help\r\n"
        b"References: <root@x> <M-0123abcd.TF-42@mail.ticketflow.test>\r\n"
        b"In-Reply-To: <M-0123abcd.TF-42@mail.ticketflow.test>\r\n\r\nthanks\r\n"
    )
    assert parse_email(raw).in_reply_to == (
        "<M-0123abcd.TF-42@mail.ticketflow.test>",
        "<root@x> <M-0123abcd.TF-42@mail.ticketflow.test>",
    )


@pytest.mark.parametrize(
    ("header", "sender"),
    [
        ("Auto-Submitted: auto-replied", "a@example.com"),
        ("Precedence: bulk", "a@example.com"),
        ("X-Autoreply: yes", "a@example.com"),
        ("X-Auto-Response-Suppress: All", "a@example.com"),
        ("List-Id: <l.example.com>\r\nPrecedence: list", "a@example.com"),
        ("X-Other: 1", "MAILER-DAEMON@example.com"),
    ],
)
def test_loops_are_recognised(header, sender):
    raw = f"From: {sender}\r\n{header}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    assert parse_email(raw).loop_reason is not None


def test_dsn_report_is_a_loop_and_person_mail_is_not():
    dsn = (
        b"From: a@example.com\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n"
    )
    assert parse_email(dsn).loop_reason == "delivery status report"
    person = b"From: a@example.com\r\nAuto-Submitted: no\r\n\r\nhi\r\n"
    assert parse_email(person).loop_reason is None


def test_html_to_text_keeps_breaks():
    assert html_to_text("a<br>b<div>c</div>") == "a\nb\nc"


def test_a_sender_a_customer_record_could_not_hold_is_refused_unless_the_mail_is_a_loop():
    odd = b"From: x <a..b@example.com>\r\nSubject: s\r\n\r\nb\r\n"
    with pytest.raises(UnusableSender, match=r"a\.\.b@example\.com"):
        parse_email(odd)
    looped = odd.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    assert parse_email(looped).loop_reason is not None


def test_a_sender_needing_smtputf8_is_refused_as_rest_refuses_it():
    raw = "From: J\u00f6rg <j\u00f6rg@example.com>\r\nSubject: s\r\n\r\nb\r\n".encode()
    with pytest.raises(UnusableSender, match="must be ASCII"):
        parse_email(raw)


def test_a_senders_unicode_domain_is_kept_in_its_ascii_form():
    raw = "From: Pat <pat@b\u00fccher.example>\r\nSubject: s\r\n\r\nb\r\n".encode()
    assert parse_email(raw).sender_email == "pat@xn--bcher-kva.example"


def test_a_raw_8bit_subject_is_read_in_the_messages_charset():
    subject = "\u9000\u6b3e\u95ee\u9898".encode("gbk")  # 退款问题, unencoded
    raw = (
        b"From: a@example.com\r\nSubject: " + subject + b"\r\n"
        b"Content-Type: text/plain; charset=gbk\r\n\r\n" + "\u4f60\u597d".encode("gbk") + b"\r\n"
    )
    parsed = parse_email(raw)
    assert (parsed.subject, parsed.notes) == ("\u9000\u6b3e\u95ee\u9898", ())
    utf8 = parse_email(b"From: a@example.com\r\nSubject: caf\xc3\xa9\r\n\r\nhi\r\n")
    assert utf8.subject == "caf\u00e9"


def test_a_subject_in_no_known_charset_is_kept_with_a_note():
    parsed = parse_email(b"From: a@example.com\r\nSubject: odd \xff\xfe\r\n\r\nhi\r\n")
    assert parsed.subject == "odd \ufffd\ufffd"
    assert parsed.notes == (
        "subject has 8-bit bytes in no known character set; unreadable ones shown as U+FFFD",
    )
