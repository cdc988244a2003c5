"""Which inbound attachments intake keeps: size, allowlist, the first bytes agreeing."""

from intake.domain.attachments import (
    AttachmentRules,
    attachment_id,
    kept_attachments,
    safe_filename,
    screen,
    sniffed_type,
)
from intake.settings import ATTACHMENT_TYPES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%..."
RULES = AttachmentRules(max_bytes=1000, allowed_types=frozenset(ATTACHMENT_TYPES))


def test_common_types_are_known_by_their_first_bytes():
    assert sniffed_type(PNG) == "image/png"
    assert sniffed_type(PDF) == "application/pdf"
    assert sniffed_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniffed_type(b"hello") is None


def test_a_declared_type_the_bytes_agree_with_is_kept():
    assert screen("shot.png", "image/png", PNG, RULES) == ("image/png", None)
    assert screen("notes.txt", "text/plain", b"line one\n", RULES) == ("text/plain", None)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert screen("a.docx", docx, b"PK\x03\x04rest", RULES) == (docx, None)


def test_a_generic_type_takes_the_sniffed_one():
    assert screen("scan", "application/octet-stream", PDF, RULES) == ("application/pdf", None)


def test_disagreeing_bytes_are_left_out():
    kept, why = screen("cat.png", "image/png", PDF, RULES)
    assert (kept, why) == (None, "declared image/png but the content is application/pdf")
    assert screen("a.txt", "text/plain", b"\x00\x01binary", RULES)[0] is None


def test_executables_are_refused_by_bytes_or_name():
    for name, declared, content in [
        ("invoice.pdf", "application/pdf", b"MZ\x90\x00rest"),
        ("run.png", "image/png", b"\x7fELF\x02\x01"),
        ("setup.exe", "application/octet-stream", b"data"),
        ("fix.sh", "text/plain", b"echo hi"),
    ]:
        assert screen(name, declared, content, RULES) == (
            None,
            "executable content is not accepted",
        )


def test_types_off_the_allowlist_and_big_ones_are_left_out():
    assert screen("x.svg", "image/svg+xml", b"<svg/>", RULES) == (
        None,
        "type image/svg+xml is not among the accepted attachment types",
    )
    assert screen("big.png", "image/png", PNG * 100, RULES) == (
        None,
        "4000 bytes, over the 1000 byte limit per attachment",
    )


def test_filenames_lose_paths_and_control_characters():
    assert safe_filename("..\\..\\windows\\evil.png") == "evil.png"
    assert safe_filename("/etc/pa\x00ss\nwd.txt") == "pa_ss_wd.txt"
    assert safe_filename("   ") == "attachment"


def test_a_mail_keeps_what_passes_and_notes_the_rest():
    kept, notes = kept_attachments(
        "<m@x>", [("a.png", "image/png", PNG), ("b.exe", "application/x-msdownload", b"MZ")], RULES
    )
    assert [(ref.filename, ref.content_type, ref.size) for ref, _ in kept] == [
        ("a.png", "image/png", len(PNG))
    ]
    assert notes == ["attachment 'b.exe' left out: executable content is not accepted"]
    assert kept[0][0].id == attachment_id("<m@x>", 0, PNG)
    assert attachment_id("<m@x>", 0, PNG) != attachment_id("<m@y>", 0, PNG)
