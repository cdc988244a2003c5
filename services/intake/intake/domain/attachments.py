"""Which of an inbound mail's attachments intake keeps: size, an allowlist of types, and the
first bytes agreeing with the declared type, so an executable never passes as a picture."""

import hashlib
import re
from dataclasses import dataclass

ATTACHMENT_ID_PREFIX = "A-"
FILENAME_LIMIT = 200
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "application/x-download")
_EXECUTABLE_EXTENSIONS = frozenset(
    {
        *("exe", "dll", "com", "scr", "bat", "cmd", "msi", "msp", "pif", "cpl", "vbs", "vbe"),
        *("js", "jse", "wsf", "wsh", "ps1", "psm1", "hta", "jar", "apk", "app", "sh", "bash"),
        *("elf", "bin", "deb", "rpm", "dmg", "pkg", "lnk", "reg", "iso"),
    }
)
# Signatures of executables, whatever the declared type says.
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# Common types and the first bytes a file of that type starts with.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/zip": _ZIP,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
}
_TEXT_TYPES = ("text/plain", "text/csv")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment as a message lists it; its bytes are kept apart, under `id`."""

    id: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class AttachmentRules:
    max_bytes: int
    allowed_types: frozenset[str]


def attachment_id(source_ref: str, index: int, content: bytes) -> str:
    """The same attachment of the same mail gets the same id: a redelivery stores it once."""
    digest = hashlib.sha256(f"{source_ref}\n{index}\n".encode() + content).hexdigest()
    return ATTACHMENT_ID_PREFIX + digest[:24]


def safe_filename(name: str) -> str:
    """The name's last path part without control characters, bounded; never empty."""
    base = re.split(r"[/\\]", name.strip())[-1]
    return _UNSAFE_NAME.sub("_", base)[:FILENAME_LIMIT].strip() or "attachment"


def sniffed_type(content: bytes) -> str | None:
    """The common type the first bytes say, if any (ZIP-based and OLE documents as zip/doc)."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((t for t, magic in _SIGNATURES.items() if content.startswith(magic)), None)


def screen(
    filename: str, declared: str, content: bytes, rules: AttachmentRules
) -> tuple[str | None, str | None]:
    """(The content type to keep it under, None) or (None, why it is left out)."""
    declared = declared.lower()
    if len(content) > rules.max_bytes:
        return None, f"{len(content)} bytes, over the {rules.max_bytes} byte limit per attachment"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _EXECUTABLE_EXTENSIONS or content.startswith(_EXECUTABLE_MAGIC):
        return None, "executable content is not accepted"
    sniffed = sniffed_type(content)
    kept = sniffed if declared in GENERIC_TYPES and sniffed else declared
    if kept not in rules.allowed_types:
        return None, f"type {kept} is not among the accepted attachment types"
    if not _agrees(kept, sniffed, content):
        return None, f"declared {kept} but the content is {sniffed or 'something else'}"
    return kept, None


def _agrees(content_type: str, sniffed: str | None, content: bytes) -> bool:
    if content_type in _SIGNATURES or content_type == "image/webp":
        expected = _SIGNATURES.get(content_type, ())
        return sniffed == content_type or any(content.startswith(m) for m in expected)
    if content_type in _TEXT_TYPES:
        return sniffed is None and b"\x00" not in content[:4096]
    return True  # a type without a signature we know (an attached email): the allowlist's say


def kept_attachments(
    source_ref: str, found: list[tuple[str, str, bytes]], rules: AttachmentRules
) -> tuple[list[tuple[AttachmentRef, bytes]], list[str]]:
    """The attachments (filename, declared type, bytes) a mail keeps, and a note for each one
    left out, saying why."""
    kept: list[tuple[AttachmentRef, bytes]] = []
    notes: list[str] = []
    for index, (name, declared, content) in enumerate(found):
        filename = safe_filename(name)
        content_type, refused = screen(filename, declared, content, rules)
        if content_type is None:
            notes.append(f"attachment {filename!r} left out: {refused}")
            continue
        ref = AttachmentRef(
            attachment_id(source_ref, index, content), filename, content_type, len(content)
        )
        kept.append((ref, content))
    return kept, notes
