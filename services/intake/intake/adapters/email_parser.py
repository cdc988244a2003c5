"""Inbound email parsing: one raw RFC 5322 message to text, attachments and threading hints."""

import email
import hashlib
from dataclasses import dataclass, field
from email import policy
from email.errors import StartBoundaryNotFoundDefect
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from pydantic import TypeAdapter, ValidationError

from intake.domain.customers import MailAddress

_LOOP_PRECEDENCE = {"bulk", "junk", "list"}
_DAEMONS = ("mailer-daemon", "postmaster")
_BROKEN_MIME = (StartBoundaryNotFoundDefect,)


class MalformedEmail(ValueError):
    """The bytes are not a message we can read (no sender, no structure)."""


class UnusableSender(MalformedEmail):
    """The sender's address is not one a ticket can name or a reply can reach."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    recipients: tuple[str, ...]
    in_reply_to: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    loop_reason: str | None
    notes: tuple[str, ...] = field(default=())


class _TextExtractor(HTMLParser):
    """HTML to plain text, skipping scripts and styles."""

    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse `raw`; raise MalformedEmail when it has no usable sender."""
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the stdlib parser is lenient; anything it raises is malformed input
        raise MalformedEmail(f"unreadable message: {exc}") from exc
    assert isinstance(msg, EmailMessage)
    notes: list[str] = []
    name, address = _sender(msg)
    if any(isinstance(d, _BROKEN_MIME) for d in msg.defects):
        raise MalformedEmail("multipart message whose boundary never appears")
    plain, html, attachments = _walk(msg, notes)
    body = plain.strip() or html_to_text(html)
    message_id = _header(msg, "Message-ID").strip() or _raw_hash(raw)
    subject = " ".join(_subject(msg, notes).split())
    looped = loop_reason(msg, address)
    if looped is None:
        address = _check_sender(address)  # a loop is dropped whatever its sender looks like
    return ParsedEmail(
        message_id=message_id,
        sender_email=address,
        sender_name=name,
        subject=subject,
        body=body,
        recipients=_recipients(msg),
        in_reply_to=tuple(_all(msg, "In-Reply-To") + _all(msg, "References")),
        attachments=tuple(attachments),
        loop_reason=looped,
        notes=tuple(notes),
    )


def _recipients(msg: EmailMessage) -> tuple[str, ...]:
    pairs = getaddresses(_all(msg, "To") + _all(msg, "Cc"))
    return tuple(a.lower() for _, a in pairs if a)


def _raw_hash(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return str(msg.get(name, "") or "")
    except Exception:  # a header the policy cannot decode: keep its raw text
        return str(msg.get_all(name, [""])[0])


def _subject(msg: EmailMessage, notes: list[str]) -> str:
    """The Subject; raw 8-bit bytes (no RFC 2047 encoding) read as UTF-8, else in the charset
    the message declares, else GB18030 (GBK's superset), else kept with U+FFFD and a note."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == "subject"), None)
    if not isinstance(raw, str) or not any("\udc80" <= c <= "\udcff" for c in raw):
        return _header(msg, "Subject")
    octets = raw.encode("ascii", "surrogateescape")
    for charset in dict.fromkeys(["utf-8", *_declared_charsets(msg), "gb18030"]):
        try:
            return octets.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    notes.append(
        "subject has 8-bit bytes in no known character set; unreadable ones shown as U+FFFD"
    )
    return octets.decode("utf-8", "replace")


def _declared_charsets(msg: EmailMessage) -> list[str]:
    return [c for c in msg.get_charsets() if c]


def _all(msg: EmailMessage, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name, [])]
    except Exception:
        return []


def _sender(msg: EmailMessage) -> tuple[str, str]:
    found = [(n, a) for n, a in getaddresses(_all(msg, "From")) if "@" in a]
    if not found:
        raise MalformedEmail("no sender address in From")
    name, address = found[0]
    return name.strip(), address.strip().lower()


_ADDRESS = TypeAdapter(MailAddress)


def _check_sender(address: str) -> str:
    """The sender as a customer record holds it (the domain in IDNA form); UnusableSender for
    one REST would refuse, e.g. a non-ASCII part before the @ that needs SMTPUTF8."""
    try:
        return _ADDRESS.validate_python(address)
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "not a valid address")
        raise UnusableSender(f"sender address {address[:100]!r} is unusable: {reason}") from exc


def _walk(msg: EmailMessage, notes: list[str]) -> tuple[str, str, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = _filename(part, notes)
        if part.get_content_disposition() == "attachment" or filename:
            data = _payload(part, notes)
            if data is not None:
                attachments.append(Attachment(filename or "attachment", ctype, data))
        elif ctype == "text/plain":
            plain.append(_text(part, notes))
        elif ctype == "text/html":
            html.append(_text(part, notes))
    return "\n".join(plain), "\n".join(html), attachments


def _filename(part: EmailMessage, notes: list[str]) -> str | None:
    try:
        return part.get_filename()
    except Exception:  # an RFC 2231 name in a charset Python does not know, or broken
        notes.append("an attachment's name could not be read: named 'attachment'")
        return "attachment"


def _payload(part: EmailMessage, notes: list[str]) -> bytes | None:
    try:
        return part.get_payload(decode=True) or b""
    except Exception:  # a transfer encoding the stdlib cannot undo
        notes.append(f"a {part.get_content_type()} attachment could not be decoded: left out")
        return None


def _text(part: EmailMessage, notes: list[str]) -> str:
    data = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "us-ascii").lower()
    if charset in ("gb2312", "gbk"):
        charset = "gb18030"  # a superset: senders label GBK text as GB2312
    try:
        return data.decode(charset)
    except LookupError:
        notes.append(f"unknown charset {charset!r}: decoded as UTF-8 with replacement")
    except UnicodeDecodeError:
        notes.append(f"text not valid {charset!r}: decoded with replacement")
    return data.decode("utf-8", errors="replace")


def loop_reason(msg: EmailMessage, sender: str) -> str | None:
    """Why this mail is automatic (auto-reply, bounce, list), or None for a person's mail."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    precedence = _header(msg, "Precedence").strip().lower()
    suppress = _header(msg, "X-Auto-Response-Suppress").strip().lower()
    listed = bool(_header(msg, "List-Id") or _header(msg, "List-Unsubscribe"))
    checks = (
        (auto not in ("", "no"), f"Auto-Submitted: {auto}"),
        (precedence in _LOOP_PRECEDENCE, f"Precedence: {precedence}"),
        (sender.split("@")[0] in _DAEMONS, f"sender {sender}"),
        (bool(_header(msg, "X-Autoreply")), "X-Autoreply"),
        (suppress == "all", "X-Auto-Response-Suppress: All"),
        (msg.get_content_type() == "multipart/report", "delivery status report"),
        (listed and bool(precedence), "list mail"),
    )
    return next((reason for hit, reason in checks if hit), None)
