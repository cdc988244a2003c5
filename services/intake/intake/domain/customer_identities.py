"""How one customer is recognised across channels: identities normalised to `kind:value` keys."""

import re
from dataclasses import dataclass

EMAIL = "email"
PHONE = "phone"
EXTERNAL = "external"
CHAT = "chat"
KINDS = (EMAIL, PHONE, EXTERNAL, CHAT)

_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_KEY_PART = re.compile(r"^[A-Za-z0-9._@+\-]{1,200}$")


class InvalidIdentity(ValueError):
    """An identity that cannot name a customer; `part` says which part of it is wrong
    (`email`, `phone`, `system`, `id`, `workspace`, `user id`), so an answer can name it."""

    def __init__(self, message: str, part: str) -> None:
        super().__init__(message)
        self.part = part


@dataclass(frozen=True, order=True)
class Identity:
    kind: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


def email_identity(address: str) -> Identity:
    """An address, case ignored (as intake already files customers' tickets)."""
    value = address.strip().lower()
    if value.count("@") != 1 or not value.split("@")[0] or not value.split("@")[1]:
        raise InvalidIdentity(f"not an email address: {address!r}", EMAIL)
    return Identity(EMAIL, value)


def phone_identity(number: str) -> Identity:
    """A phone number in E.164 form: `+`, 8 to 15 digits; `00` stands for `+`."""
    digits = _PHONE_SEPARATORS.sub("", number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+") or not digits[1:].isdigit() or not 8 <= len(digits) - 1 <= 15:
        raise InvalidIdentity(f"not an international phone number: {number!r}", PHONE)
    if digits[1] == "0":
        raise InvalidIdentity(f"a country code never starts with 0: {number!r}", PHONE)
    return Identity(PHONE, digits)


def external_identity(system: str, external_id: str) -> Identity:
    """A record in another system (a CRM), named by the system and its id there."""
    return Identity(EXTERNAL, f"{_part(system.lower(), 'system')}:{_part(external_id, 'id')}")


def chat_identity(workspace: str, user_id: str) -> Identity:
    """A chat user, named by the chat workspace (or network) and the user's id in it."""
    return Identity(CHAT, f"{_part(workspace.lower(), 'workspace')}:{_part(user_id, 'user id')}")


def _part(value: str, what: str) -> str:
    value = value.strip()
    if not _KEY_PART.match(value):
        raise InvalidIdentity(f"{what} must be 1-200 of letters, digits and ._@+-: {value!r}", what)
    return value


def merged_identities(survivor: list[Identity], merged: list[Identity]) -> list[Identity]:
    """The survivor's identities and every one of the merged record's: none is lost."""
    return sorted(set(survivor) | set(merged))
