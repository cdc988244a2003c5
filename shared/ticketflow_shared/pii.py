"""Customer data sealed field by field (AES-GCM), and a keyed hash to look addresses up by.

A sealed value names the key that sealed it: `enc:v1:<key id>:<base64url(nonce | ciphertext)>`,
with a fresh 96-bit nonce each time. The field's purpose (`ticket.subject`, ...) is the
associated data, so a value moved into another field does not open. Any key of the ring opens
what it sealed, so rotating is: add a key, make it active, and let writes (or `reseal`) move
values over; a key leaves the ring only once nothing sealed with it is left.

A value without the `enc:` prefix is clear text written before sealing existed; `open` passes
it through so old documents stay readable until they are sealed.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc:"
VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
INDEX_PREFIX = "bi:v1:"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
ADDRESS_REDACTED = "<address>"


class PiiConfigError(ValueError):
    """The keys given cannot seal anything safely: a startup error, never a fallback."""


class UnreadableValue(ValueError):
    """A sealed value that no key of the ring opens: unknown key, tampered, or another field's."""


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(sealed: str) -> str:
    """The id of the key that sealed `sealed`."""
    return _parts(sealed)[0]


def new_key() -> str:
    """A fresh key (or index key) in the base64 form the settings take."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def keys_env(key_id: str = "k1") -> str:
    """Settings lines for a new installation: one sealing key, active, and an index key."""
    return (
        f"TICKETFLOW_PII_KEYS={key_id}:{new_key()}\n"
        f"TICKETFLOW_PII_ACTIVE_KEY={key_id}\n"
        f"TICKETFLOW_PII_INDEX_KEY={new_key()}"
    )


def normalised_address(email: str) -> str:
    """An address as intake files it: case ignored, as it already lists a customer's tickets."""
    return email.strip().lower()


def without_addresses(text: str) -> str:
    """`text` with anything shaped like an email address replaced, for logs and errors:
    mail servers quote the recipient in their replies."""
    return _ADDRESS.sub(ADDRESS_REDACTED, text)


class FieldCipher:
    """Seals and opens text fields with a keyring; pure, no I/O."""

    def __init__(self, keys: Mapping[str, bytes], active: str, index_key: bytes) -> None:
        if not keys:
            raise PiiConfigError("no PII keys given")
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise PiiConfigError(f"PII key id {key_id!r}: use 1-32 of A-Z a-z 0-9 _ -")
            if len(key) != KEY_BYTES:
                raise PiiConfigError(
                    f"PII key {key_id!r} is {len(key)} bytes; AES-256-GCM needs {KEY_BYTES}"
                )
        if active not in keys:
            raise PiiConfigError(f"active PII key {active!r} is not among {sorted(keys)}")
        if len(index_key) < KEY_BYTES:
            raise PiiConfigError(f"PII index key is {len(index_key)} bytes; at least {KEY_BYTES}")
        if any(hmac.compare_digest(index_key, key) for key in keys.values()):
            raise PiiConfigError("the PII index key must differ from every sealing key")
        self.active = active
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._index_key = bytes(index_key)

    def seal(self, text: str, purpose: str) -> str:
        """`text` sealed with the active key, bound to `purpose`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.active].encrypt(
            nonce, text.encode("utf-8"), _associated(self.active, purpose)
        )
        token = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{PREFIX}{VERSION}:{self.active}:{token}"

    def open(self, value: str, purpose: str) -> str:
        """The text of a sealed value, by the key it names; clear text is returned as it is."""
        if not is_sealed(value):
            return value
        key_id, token = _parts(value)
        aead = self._aead.get(key_id)
        if aead is None:
            raise UnreadableValue(f"sealed with key {key_id!r}, which is not in the keyring")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise UnreadableValue("sealed value is not base64url") from exc
        if len(raw) <= NONCE_BYTES:
            raise UnreadableValue("sealed value is too short")
        try:
            text = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(key_id, purpose))
        except InvalidTag as exc:
            raise UnreadableValue(f"sealed value does not open as {purpose!r}") from exc
        return text.decode("utf-8")

    def seal_bytes(self, data: bytes, purpose: str) -> bytes:
        """`data` sealed with the active key, bound to `purpose`: `v1:<key id>:` + nonce +
        ciphertext, for contents too big to carry as text (an attachment)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.active].encrypt(nonce, data, _associated(self.active, purpose))
        return f"{VERSION}:{self.active}:".encode() + nonce + sealed

    def open_bytes(self, value: bytes, purpose: str) -> bytes:
        version, key_id, raw = [*value.split(b":", 2), b"", b""][:3]
        aead = self._aead.get(key_id.decode("ascii", "replace"))
        if version != VERSION.encode() or aead is None or len(raw) <= NONCE_BYTES:
            raise UnreadableValue("sealed bytes of an unknown version or key")
        try:
            return aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(key_id.decode(), purpose)
            )
        except InvalidTag as exc:
            raise UnreadableValue(f"sealed bytes do not open as {purpose!r}") from exc

    def seal_optional(self, text: str | None, purpose: str) -> str | None:
        return None if text is None else self.seal(text, purpose)

    def open_optional(self, value: str | None, purpose: str) -> str | None:
        return None if value is None else self.open(value, purpose)

    def is_current(self, value: object) -> bool:
        """Whether `value` is sealed with the active key (nothing to re-seal)."""
        return is_sealed(value) and key_id_of(str(value)) == self.active

    def reseal(self, value: str, purpose: str) -> str:
        """`value` sealed with the active key: clear text sealed, an older key's value moved."""
        if self.is_current(value):
            return value
        return self.seal(self.open(value, purpose), purpose)

    def blind_index(self, email: str) -> str:
        """A stable keyed hash of the normalised address: equal addresses, equal index."""
        digest = hmac.new(
            self._index_key, normalised_address(email).encode("utf-8"), hashlib.sha256
        ).digest()
        return INDEX_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_blind_index(value: object) -> bool:
    return isinstance(value, str) and value.startswith(INDEX_PREFIX)


def parse_keys(spec: str) -> dict[str, bytes]:
    """`kid:base64key,kid2:base64key` as a keyring; raise PiiConfigError on anything else."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise PiiConfigError(f"PII key {key_id!r} has no ':' (write kid:base64key)")
        if key_id in keys:
            raise PiiConfigError(f"PII key id {key_id!r} appears twice")
        keys[key_id] = decode_key(encoded, f"PII key {key_id!r}")
    return keys


def decode_key(encoded: str, what: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PiiConfigError(f"{what} is not base64") from exc


def _associated(key_id: str, purpose: str) -> bytes:
    return f"ticketflow:{VERSION}:{key_id}:{purpose}".encode()


def _parts(sealed: str) -> tuple[str, str]:
    version, _, rest = sealed.removeprefix(PREFIX).partition(":")
    key_id, _, token = rest.partition(":")
    if version != VERSION or not key_id or not token:
        raise UnreadableValue("not a sealed value of a known version")
    return key_id, token
