"""Which ticket an inbound email answers, and the reply's own words without quoted history.

notify names every email `<event-or-message id.ticket id@domain>` and tags its subject
`[TF-…]`; a customer's answer carries one of them back.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Ticket ids: "TF-" and 12 characters of Crockford's base32 (intake.domain.idempotency).
_TICKET_ID = r"TF-[0-9A-Za-z]{12}"
_OUR_ID = re.compile(rf"<([^<>@\s]+)\.({_TICKET_ID})@([^<>@\s]+)>", re.IGNORECASE)
_SUBJECT_REFERENCE = re.compile(rf"(?<![0-9A-Za-z-])\[?({_TICKET_ID})\]?(?![0-9A-Za-z-])", re.I)
# A mail naming more tickets than this is not an answer we can place; each costs a read.
MAX_CANDIDATES = 3

# Chinese mail clients write the header labels with a full-width colon.
_COLON = r"[:\uff1a]"
_QUOTE_HEADS = (
    re.compile(r"^\s*On\s.{1,300}\swrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$"),
    re.compile(rf"^\s*(发件人|From)\s*{_COLON}.*$"),
    re.compile(r"^\s*_{10,}\s*$"),
)


@dataclass(frozen=True)
class Reference:
    """A ticket an email names, and the left part of our Message-ID it answered (if any)."""

    ticket_id: str
    answered: str | None = None


def ticket_references(thread_ids: Sequence[str], subject: str, domain: str) -> list[Reference]:
    """Tickets named by our own Message-IDs (on `domain`) in `In-Reply-To`/`References`,
    nearest first, then by the subject's `[TF-…]` or bare `TF-…`; each ticket once."""
    found: list[Reference] = []
    for header in thread_ids:
        for match in reversed(list(_OUR_ID.finditer(header))):
            if match.group(3).lower() == domain.lower():
                found.append(Reference(_canonical(match.group(2)), match.group(1)))
    found.extend(Reference(_canonical(m.group(1))) for m in _SUBJECT_REFERENCE.finditer(subject))
    unique: dict[str, Reference] = {}
    for reference in found:
        unique.setdefault(reference.ticket_id, reference)
    return list(unique.values())[:MAX_CANDIDATES]


def _canonical(ticket_id: str) -> str:
    return "TF-" + ticket_id[3:].upper()


def trim_quoted(body: str) -> str:
    """The reply without the history it quotes: from the first quote header (`On … wrote:`,
    `-----Original Message-----`, `发件人:`, an Outlook rule) on, and trailing `>` lines.
    Inline answers between quoted lines stay. All quote: the body as it came."""
    lines = body.splitlines()
    cut = next((i for i, line in enumerate(lines) if _quote_head(lines, i)), len(lines))
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    text = "\n".join(kept).strip()
    return text or body.strip()


def _quote_head(lines: list[str], i: int) -> bool:
    line = lines[i]
    if any(head.match(line) for head in _QUOTE_HEADS):
        return _not_a_greeting(lines, i)
    # Clients wrap a long "On <date>, <name> <address>" line before its "wrote:".
    following = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(
        re.match(r"^\s*On\s", line, re.IGNORECASE)
        and re.match(r"^\s*\S.{0,200}wrote:\s*$|^\s*wrote:\s*$", following, re.IGNORECASE)
        and len(line) + len(following) <= 400
    )


def _not_a_greeting(lines: list[str], i: int) -> bool:
    """A `From:` line heads a quote only with its fellows (`Sent:`/`发送时间:`) close by."""
    if not re.match(rf"^\s*(发件人|From)\s*{_COLON}", lines[i]):
        return True
    near = lines[i + 1 : i + 4]
    return any(re.match(rf"^\s*(Sent|Date|To|发送时间|日期|收件人)\s*{_COLON}", n) for n in near)
