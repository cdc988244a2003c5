"""Local SMTP catcher for development and tests: accepts every message and keeps it.

SMTP (default 127.0.0.1:1025, any AUTH accepted, no TLS) stores each message as one .eml file
in the store directory, named so that name order is arrival order; the envelope is kept in
X-MailFrom / X-RcptTo headers. A stdlib HTTP API (default 127.0.0.1:8025) reads them back:

  GET    /api/messages          JSON list, oldest first, of {id, from, mail_from, to, subject,
                                date, received_at, message_id, in_reply_to, references,
                                headers, text, html}; "to" lists the envelope recipients,
                                "references" the ids of the References header in order,
                                "headers" every header as [name, value] as it arrived
                                (unfolded), "text" the plain body ("" if none)
  GET    /api/messages?to=ADDR  only messages with ADDR (case-insensitive) among the recipients
  DELETE /api/messages          delete every stored message, answers {"deleted": N}

Messages are parsed when first listed, not at start, and a `?to=` listing reads only the
envelope line of the others, so start-up and lookups stay quick however much is kept. At
start the store is cut to the newest --keep messages.

Usage: smtp_catcher.py [--host H] [--smtp-port N] [--api-port N] [--store DIR] [--keep N]; the
defaults come from TICKETFLOW_SMTP_HOST, TICKETFLOW_SMTP_PORT, TICKETFLOW_SMTP_API_PORT,
TICKETFLOW_SMTP_STORE (else $TICKETFLOW_HOME/smtp) and TICKETFLOW_SMTP_KEEP (else 10000; 0
keeps all).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class StoreHandler:
    """aiosmtpd handler writing each message atomically to STORE/<arrival ns>-<random>.eml."""

    def __init__(self, store: Path) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope) -> str:
        head = f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.store / f".{name}.tmp"
        tmp.write_bytes(head.encode() + envelope.original_content)
        tmp.rename(self.store / f"{name}.eml")
        return "250 Message accepted for delivery"


def load(path: Path) -> dict:
    msg = message_from_bytes(path.read_bytes().replace(b"\r\n", b"\n"), policy=policy.default)
    received = datetime.fromtimestamp(int(path.stem.split("-")[0]) / 1e9, UTC)
    try:
        sent = parsedate_to_datetime(str(msg["Date"]))
        date = (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).isoformat()
    except (TypeError, ValueError):
        date = received.isoformat()
    plain, html = (msg.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    return {
        "id": path.stem,
        "from": str(msg.get("From", "")),
        "mail_from": str(msg.get("X-MailFrom", "")),
        "to": [a.strip() for a in str(msg.get("X-RcptTo", "")).split(",") if a.strip()],
        "subject": str(msg.get("Subject", "")),
        "date": date,
        "received_at": received.isoformat(),
        "message_id": str(msg.get("Message-ID", "")),
        "in_reply_to": str(msg.get("In-Reply-To", "")),
        "references": str(msg.get("References", "")).split(),
        "headers": [[name, str(value)] for name, value in msg.items()],
        "text": plain.get_content() if plain else "",
        "html": html.get_content() if html else None,
    }


def envelope_recipients(path: Path) -> list[str]:
    """The lower-cased X-RcptTo addresses, read from the file's head without parsing the rest."""
    with path.open("rb") as file:
        for _ in range(2):
            line = file.readline().decode(errors="replace")
            if line.lower().startswith("x-rcptto:"):
                return [a.strip().lower() for a in line.split(":", 1)[1].split(",") if a.strip()]
    return []


class ParsedMessages:
    """Parsed messages and their recipients by file name: each file is read once however often
    it is listed, and a listing by recipient parses only the messages it returns."""

    def __init__(self) -> None:
        self._parsed: dict[str, dict] = {}
        self._recipients: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def of(self, paths: list[Path], to: str = "") -> list[dict]:
        with self._lock:
            names = {path.name for path in paths}
            for cache in (self._parsed, self._recipients):
                for gone in cache.keys() - names:
                    del cache[gone]
            items = []
            for path in paths:
                try:
                    if to and to not in self._recipients_of(path):
                        continue
                    if path.name not in self._parsed:
                        self._parsed[path.name] = load(path)
                except FileNotFoundError:  # deleted while listing
                    continue
                items.append(self._parsed[path.name])
            return items

    def _recipients_of(self, path: Path) -> list[str]:
        if path.name not in self._recipients:
            self._recipients[path.name] = envelope_recipients(path)
        return self._recipients[path.name]


def keep_newest(store: Path, keep: int) -> int:
    """Delete all but the newest `keep` messages (names sort in arrival order); returns how many."""
    old = sorted(store.glob("*.eml"))[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)


def make_api(store: Path) -> type[BaseHTTPRequestHandler]:
    parsed = ParsedMessages()

    class Api(BaseHTTPRequestHandler):
        def reply(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def files(self) -> list[Path] | None:
            url = urlsplit(self.path)
            if url.path.rstrip("/") != "/api/messages":
                self.reply(404, {"error": "not found: use /api/messages"})
                return None
            return sorted(store.glob("*.eml"))

        def do_GET(self) -> None:
            paths = self.files()
            if paths is None:
                return
            want = parse_qs(urlsplit(self.path).query).get("to", [""])[0].strip().lower()
            self.reply(200, parsed.of(paths, to=want))

        def do_DELETE(self) -> None:
            paths = self.files()
            if paths is not None:
                for path in paths:
                    path.unlink(missing_ok=True)
                self.reply(200, {"deleted": len(paths)})

    return Api


def main() -> None:
    env = os.environ.get
    home = Path(env("TICKETFLOW_HOME") or Path.home() / ".cache" / "ticketflow")
    parser = argparse.ArgumentParser(description="Local SMTP catcher with an HTTP API.")
    parser.add_argument("--host", default=env("TICKETFLOW_SMTP_HOST", "127.0.0.1"))
    parser.add_argument("--smtp-port", type=int, default=env("TICKETFLOW_SMTP_PORT", "1025"))
    parser.add_argument("--api-port", type=int, default=env("TICKETFLOW_SMTP_API_PORT", "8025"))
    parser.add_argument("--store", type=Path, default=env("TICKETFLOW_SMTP_STORE") or home / "smtp")
    parser.add_argument("--keep", type=int, default=env("TICKETFLOW_SMTP_KEEP", "10000"))
    args = parser.parse_args()
    args.store.mkdir(parents=True, exist_ok=True)
    dropped = keep_newest(args.store, args.keep)

    smtp = Controller(
        StoreHandler(args.store),
        hostname=args.host,
        port=args.smtp_port,
        authenticator=lambda *_: AuthResult(success=True),  # any login is fine
        auth_require_tls=False,
        enable_SMTPUTF8=True,
    )
    smtp.start()
    api = ThreadingHTTPServer((args.host, args.api_port), make_api(args.store))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(
        f"smtp {args.host}:{args.smtp_port}, api port {args.api_port}, store {args.store}"
        f" (dropped the {dropped} oldest messages beyond {args.keep})"
    )
    sys.stdout.flush()
    try:
        api.serve_forever()
    finally:
        api.server_close()
        smtp.stop()


if __name__ == "__main__":
    main()
