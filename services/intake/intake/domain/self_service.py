"""Self-service links: the acknowledgement names up to three knowledge-base articles, each
with a link that lets the customer read it and say it solved their problem. A link is signed
(HMAC-SHA256 over the ticket, the article and an expiry) so it opens nothing else, needs no
account and no stored state; it expires, and a solved ticket is solved only once.

Hand-written over the standard library (`hmac`, `base64`, `json`): the whole format is these
few lines, and a signing library would bring its own token format for no gain here.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from intake.domain.errors import IntakeError
from ticketflow_shared.errors import NotFound

VERSION = "s1"
MAX_TOKEN_CHARS = 600


class InvalidLink(IntakeError, NotFound):
    """Not a link this service signed (altered, truncated, or signed with another secret)."""

    def __init__(self) -> None:
        super().__init__("this link is not valid")


class ExpiredLink(IntakeError):
    status = 410

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"this link expired on {expired_at:%Y-%m-%d}")
        self.expired_at = expired_at


@dataclass(frozen=True)
class SelfServiceLink:
    ticket_id: str
    article_id: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkSigner:
    """Signs and checks links with one secret; `lifetime`: how long a new link is good for."""

    secret: bytes
    lifetime: timedelta

    def token(self, ticket_id: str, article_id: str, now: datetime) -> str:
        expires = int((now + self.lifetime).timestamp())
        claims = json.dumps({"t": ticket_id, "a": article_id, "e": expires}, separators=(",", ":"))
        body = _b64(claims.encode())
        return f"{VERSION}.{body}.{self._signature(body)}"

    def check(self, token: str, now: datetime) -> SelfServiceLink:
        """The link `token` stands for; InvalidLink or ExpiredLink otherwise."""
        parts = token.split(".") if len(token) <= MAX_TOKEN_CHARS else []
        if len(parts) != 3 or parts[0] != VERSION:
            raise InvalidLink()
        _, body, signature = parts
        if not hmac.compare_digest(signature, self._signature(body)):
            raise InvalidLink()
        try:
            claims = json.loads(_unb64(body))
            link = SelfServiceLink(
                str(claims["t"]),
                str(claims["a"]),
                datetime.fromtimestamp(int(claims["e"]), UTC),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidLink() from exc
        if now >= link.expires_at:
            raise ExpiredLink(link.expires_at)
        return link

    def _signature(self, body: str) -> str:
        return _b64(hmac.new(self.secret, f"{VERSION}.{body}".encode(), hashlib.sha256).digest())


# Where a link leads: the article's page (GET), whose button posts to the solve path.
PAGE_PATH = "/help"
SOLVED_PATH = "/help/solved"


@dataclass(frozen=True)
class SelfServiceLinks:
    base_url: str
    signer: LinkSigner

    def url(self, ticket_id: str, article_id: str, now: datetime) -> str:
        token = self.signer.token(ticket_id, article_id, now)
        return f"{self.base_url}{PAGE_PATH}?t={quote(token)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
