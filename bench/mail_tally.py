"""What customers got against what they should have, for bench/notify_crash.py.

Reads the mail catcher (`GET /api/messages`, deploy/smtp_catcher.py) and notify's delivery log
(`GET /notifications?ticket_id=`), and counts: copies of each email (the same recipient,
subject and text), whether a copy carried another Message-ID than its first, whether the log
holds exactly one `sent` entry per email, and how long each email sat between the mail
server's accept (the catcher's arrival time) and notify's record of it. A crash inside that
stretch is what sends an email again. Its end is not seen from outside, so it is bounded: from
below by the delivery's `sent_at` (taken when the SMTP conversation returned, before the write),
from above by the arrival of its `notification.sent.v1` here (after the write and the publish).
"""

import asyncio
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import httpx

import access

MAIL_API = os.environ.get("TICKETFLOW_SMTP_API", "http://127.0.0.1:8025")
RETRIES = 30
LOG_READS_AT_ONCE = 8
Expected = dict[str, tuple[str, str]]  # notification id -> (ticket id, kind)


@dataclass
class Figures:
    name: str
    sent: int
    accepted: int
    expected: Counter[str]  # by kind (the event type that calls for the email)
    received: Counter[str]  # copies, by kind
    lost: int  # expected emails of which no copy arrived
    twice: Counter[str]  # emails that arrived more than once, by kind
    extra: int  # copies beyond each email's first
    same_id: bool  # every later copy carried its first copy's Message-ID
    unexpected: int  # copies that match no expected email
    log_exact: bool
    flagged: int  # log entries marked possibly_duplicated
    # Each email, epoch seconds: the mail server's accept, then the record's bounds (sent_at,
    # notification.sent.v1 seen).
    exposed: list[tuple[float, float, float]]


async def read_mail(addresses: set[str]) -> list[dict]:
    """What the catcher received for these addresses, in arrival order."""
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.get(f"{MAIL_API}/api/messages")
        response.raise_for_status()
    return [m for m in response.json() if addresses & {a.lower() for a in m["to"]}]


async def read_log(notify_url: str, tickets: set[str]) -> dict[str, list[dict]]:
    """notify's delivery log, each ticket's entries."""
    slots = asyncio.Semaphore(LOG_READS_AT_ONCE)
    async with httpx.AsyncClient(
        base_url=notify_url, timeout=30, headers=access.headers()
    ) as notify:

        async def entries(ticket_id: str) -> tuple[str, list[dict]]:
            async with slots:
                for _ in range(RETRIES):
                    response = await notify.get(
                        "/notifications", params={"ticket_id": ticket_id, "limit": 500}
                    )
                    if response.status_code not in (429, 503):
                        break
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                response.raise_for_status()
                return ticket_id, response.json()["data"]

        return dict(await asyncio.gather(*(entries(t) for t in tickets)))


def id_key(message_id: str) -> str:
    """A Message-ID up to its `@`: `<event id.ticket id@` for an event's email."""
    return message_id.partition("@")[0] + "@"


def tally(
    name: str,
    offered: int,
    expected: Expected,
    recorded: dict[str, float],
    messages: list[dict],
    log: dict[str, list[dict]],
) -> Figures:
    """`recorded`: when each email's `notification.sent.v1` arrived, epoch seconds."""
    key_of = {n: f"<{n.removesuffix(':email')}.{ticket}@" for n, (ticket, _) in expected.items()}
    kind_of = {key_of[n]: kind for n, (_, kind) in expected.items()}
    copies: defaultdict[tuple, list[str]] = defaultdict(list)  # one email: its copies' ids
    last_copy: dict[str, float] = {}
    for m in messages:
        copies[tuple(m["to"]), m["subject"], m["text"]].append(m["message_id"])
        last_copy[id_key(m["message_id"])] = datetime.fromisoformat(m["received_at"]).timestamp()
    arrived = Counter(id_key(m["message_id"]) for m in messages)
    entries = [entry for ticket_entries in log.values() for entry in ticket_entries]
    sent_at = {
        e["id"]: datetime.fromisoformat(e["sent_at"]).timestamp() for e in entries if e["sent_at"]
    }
    return Figures(
        name=name,
        sent=offered,
        accepted=len(log),  # read for every accepted ticket
        expected=Counter(kind for _, kind in expected.values()),
        received=Counter(kind_of.get(key, "other") for key in arrived.elements()),
        lost=sum(1 for key in kind_of if key not in arrived),
        twice=Counter(kind_of.get(id_key(ids[0]), "other") for ids in copies.values() if ids[1:]),
        extra=sum(len(ids) - 1 for ids in copies.values()),
        same_id=all(len(set(ids)) == 1 for ids in copies.values()),
        unexpected=sum(n for key, n in arrived.items() if key not in kind_of),
        log_exact=Counter(e["id"] for e in entries) == Counter(expected.keys())
        and all(e["status"] == "sent" for e in entries),
        flagged=sum(1 for e in entries if e["possibly_duplicated"]),
        exposed=[
            (last_copy[key_of[n]], sent_at[n], recorded[n])
            for n in expected
            if key_of[n] in last_copy and n in sent_at and n in recorded
        ],
    )


def exposed_on_average(figures: Figures, start: float, end: float, upper: bool) -> float:
    """Emails between the mail server's accept and their record at a moment of [start, end]:
    what a crash then would send again, on average (its lower or `upper` bound)."""
    stays = [(accept, seen if upper else sent) for accept, sent, seen in figures.exposed]
    inside = sum(max(0.0, min(b, end) - max(a, start)) for a, b in stays)
    return inside / (end - start) if end > start else 0.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _by_kind(counts: Counter[str]) -> str:
    named = (
        f"{kind.removeprefix('ticket.').removesuffix('.v1')} {n}" for kind, n in counts.items()
    )
    return ", ".join(sorted(named)) or "none"


def report(f: Figures, exposure: str, down: str) -> None:
    yes = {True: "yes", False: "NO"}
    lower = [(sent - accept) * 1000 for accept, sent, _ in f.exposed]
    upper = [(seen - accept) * 1000 for accept, _, seen in f.exposed]
    print(f"  tickets        sent {f.sent}, accepted {f.accepted}")
    print(
        f"  emails         expected {f.expected.total()} ({_by_kind(f.expected)}), "
        f"received {f.received.total()} ({_by_kind(f.received)}), never arrived {f.lost}, "
        f"not expected {f.unexpected}"
    )
    print(
        f"  more than once {f.twice.total()} emails ({_by_kind(f.twice)}), {f.extra} extra "
        f"copies; every copy with its first copy's Message-ID: {yes[f.same_id]}"
    )
    print(
        f"  delivery log   one sent entry per email: {yes[f.log_exact]}; "
        f"possibly_duplicated: {f.flagged}"
    )
    print(
        f"  accept→record  p50 {_percentile(lower, 0.5):.0f} to {_percentile(upper, 0.5):.0f} ms, "
        f"p99 {_percentile(lower, 0.99):.0f} to {_percentile(upper, 0.99):.0f} ms; "
        f"emails inside it on average: {exposure}"
    )
    print(f"  notify down    {down}", flush=True)
