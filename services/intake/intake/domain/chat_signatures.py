"""Slack's request signature: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}`."""

import hashlib
import hmac
from datetime import datetime, timedelta

MAX_AGE = timedelta(minutes=5)


class BadSignature(ValueError):
    """A request Slack did not sign, or signed too long ago to be anything but a replay."""


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def verify_slack(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Raise BadSignature unless `signature` is Slack's for this body, sent within 5 minutes."""
    if not timestamp or not signature:
        raise BadSignature("X-Slack-Request-Timestamp and X-Slack-Signature are required")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature("X-Slack-Request-Timestamp is not a Unix time")
    if abs(now.timestamp() - int(timestamp)) > MAX_AGE.total_seconds():
        raise BadSignature("X-Slack-Request-Timestamp is more than 5 minutes away")
    expected = slack_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise BadSignature("X-Slack-Signature does not match")
