"""Tags on a ticket: short lower-case labels, each once, in the order they were added."""

import re
from collections.abc import Iterable
from typing import Any

from intake.domain.errors import IntakeError
from ticketflow_shared.errors import Unprocessable, problem

MAX_TAGS = 20
TAG_PATTERN = r"^[a-z0-9][a-z0-9_:-]{0,39}$"
_TAG = re.compile(TAG_PATTERN)


class InvalidTags(IntakeError, Unprocessable):
    """`loc`: the tags asked for (`body.tags`) unless the caller names what brought them."""

    def __init__(self, message: str, loc: tuple[str, ...] = ("body", "tags")) -> None:
        super().__init__(message)
        self.loc = loc

    def problems(self) -> list[dict[str, Any]]:
        return [problem("invalid_tags", list(self.loc), str(self))]


def checked_tags(tags: Iterable[str]) -> list[str]:
    """`tags` lower-cased, without repeats; InvalidTags for a bad one or too many."""
    kept: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if not _TAG.fullmatch(tag):
            raise InvalidTags(f"tag {tag[:40]!r} must match {TAG_PATTERN}")
        if tag not in kept:
            kept.append(tag)
    if len(kept) > MAX_TAGS:
        raise InvalidTags(f"a ticket has at most {MAX_TAGS} tags, this would make {len(kept)}")
    return kept


def retagged(current: Iterable[str], add: Iterable[str], remove: Iterable[str]) -> list[str]:
    """`current` with `add` appended and `remove` taken out, checked."""
    removed = set(checked_tags(remove))
    return checked_tags(tag for tag in [*current, *add] if tag not in removed)
