"""Ticket ids, and how an Idempotency-Key maps to one ticket without a lookup table.

A keyed request's ticket id is derived from the key (uuid5), so inserting the ticket is
itself the uniqueness check; a hash of the request body tells a retry from a misuse.
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.domain.errors import IdempotencyConflict

TICKET_ID_PREFIX = "TF-"
TICKET_ID_LENGTH = 12
# Crockford base32: no I, L, O or U, so ids survive being read aloud or retyped.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEY_NAMESPACE = uuid.UUID("5b0f3c55-5d0e-4c8e-9a53-7f6f0f4f1c2e")


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    fingerprint: str

    def matches(self, key: str, fingerprint: str) -> bool:
        """Whether this very key and request body made the ticket, so a request replays it."""
        return (self.key, self.fingerprint) == (key, fingerprint)


def ticket_id_from(value: uuid.UUID) -> str:
    # The low 60 bits of a uuid4/uuid5 hold no version or variant bits.
    bits = value.int & ((1 << (5 * TICKET_ID_LENGTH)) - 1)
    chars = [_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(TICKET_ID_LENGTH))]
    return TICKET_ID_PREFIX + "".join(chars)


def new_ticket_id() -> str:
    return ticket_id_from(uuid.uuid4())


def ticket_id_for_key(key: str, caller: str | None = None) -> str:
    """The ticket a key names. Keys are each caller's own: one caller's key never reaches a
    ticket another caller made with the same key."""
    name = key if caller is None else f"{caller}\n{key}"
    return ticket_id_from(uuid.uuid5(_KEY_NAMESPACE, name))


def request_fingerprint(request: Mapping[str, Any]) -> str:
    """Stable hash of a JSON-able request: key order and spacing do not matter."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_same_request(
    stored: IdempotencyRecord | None, ticket_id: str, key: str, fingerprint: str
) -> None:
    """Raise unless the stored ticket was made by this very key and request body."""
    if stored is None or not stored.matches(key, fingerprint):
        raise IdempotencyConflict(key, ticket_id)
