"""The fields a category declares: their label, kind and length, and checks of values
against them (what the web form checks in the browser, the server checks again)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from intake.domain.errors import InvalidCategory, InvalidFieldValues

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldKind(StrEnum):
    text = "text"
    long_text = "long_text"
    email = "email"
    number = "number"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: FieldKind = FieldKind.text
    max_length: int = 200

    def problem(self, value: object) -> str | None:
        """Why `value` does not fit this field, or None if it does."""
        if self.kind is FieldKind.number:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            return None if is_number else f"{self.label} must be a number"
        if not isinstance(value, str):
            return f"{self.label} must be text"
        if len(value) > self.max_length:
            return f"{self.label} must be at most {self.max_length} characters"
        if self.kind is FieldKind.email and value.strip() and not _EMAIL.match(value.strip()):
            return f"{self.label} must be an email address"
        return None


def check_values(specs: tuple[FieldSpec, ...], fields: Mapping[str, object]) -> None:
    """InvalidFieldValues naming each declared field whose given value does not fit."""
    problems = {
        spec.name: reason
        for spec in specs
        if spec.name in fields and (reason := spec.problem(fields[spec.name])) is not None
    }
    if problems:
        raise InvalidFieldValues(problems)


def check_declared(
    specs: tuple[FieldSpec, ...], named: Mapping[tuple[str, ...], tuple[str, ...]]
) -> None:
    """InvalidCategory for fields declared twice, and, when any are declared, for each name in
    `named` (lists by their place in the rule) that is not one of them."""
    declared = [spec.name for spec in specs]
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (("fields", index, "name"), f"field {name!r} is declared more than once")
        for index, name in enumerate(declared)
        if name in declared[:index]
    ]
    if declared:
        problems += [
            ((*place, index), f"{name!r} is not a declared field of the category")
            for place, names in named.items()
            for index, name in enumerate(names)
            if name not in declared
        ]
    if problems:
        raise InvalidCategory(problems)
