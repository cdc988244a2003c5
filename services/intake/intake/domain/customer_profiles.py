"""A customer's record across channels: CRM fields, ids, merges, and its timeline's paging."""

import base64
import binascii
from dataclasses import dataclass, field, replace
from datetime import datetime

from ticketflow_shared.errors import Conflict, NotFound, Unprocessable

CRM_FIELDS = ("name", "tier", "company", "owner")


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer {customer_id}")


class CannotMerge(Conflict):
    """A merge that would lose or loop records: into itself, or a record merged elsewhere."""


class CannotUnmerge(Conflict):
    """An unmerge of records that are not merged so, or of a merge that kept no record of
    what it changed."""


class ConflictingIds(Conflict):
    """A CRM upsert naming ids that already belong to different customers."""

    def __init__(self, owners: dict[str, str]) -> None:
        named = ", ".join(f"{key} belongs to {owner}" for key, owner in sorted(owners.items()))
        super().__init__(f"these ids belong to different customers: {named}")
        self.owners = owners


class BadQuery(Unprocessable):
    """A query or path parameter no schema could check, named in the answer."""

    def __init__(self, parameter: str, message: str, where: str = "query") -> None:
        super().__init__(message)
        self.loc = [where, parameter]

    def problems(self) -> list[dict]:
        return [{"type": "value_error", "loc": self.loc, "msg": str(self)}]


@dataclass(frozen=True)
class CustomerProfile:
    id: str
    name: str | None = None
    tier: str | None = None
    company: str | None = None
    owner: str | None = None
    email: str | None = None
    phone: str | None = None
    external_ids: tuple[str, ...] = ()
    merged_into: str | None = None
    # Records merged into this one (and theirs): their timelines are part of this one.
    merges: tuple[str, ...] = ()

    def with_crm_record(self, system: str, external_id: str, record: dict) -> "CustomerProfile":
        """The profile as the CRM now says it is; a field the CRM leaves out is kept."""
        changes = {key: value for key, value in record.items() if value is not None}
        ids = tuple(sorted({*self.external_ids, f"{system}:{external_id}"}))
        return replace(self, **changes, external_ids=ids)


def owners_in_conflict(owners: dict[str, str | None]) -> dict[str, str]:
    """The identities owned by a customer, when more than one customer owns them."""
    owned = {key: owner for key, owner in owners.items() if owner is not None}
    return owned if len(set(owned.values())) > 1 else {}


def check_merge(survivor: CustomerProfile, merged: CustomerProfile) -> bool:
    """Whether the merge is still to do (False: already done); refuses what cannot be."""
    if survivor.id == merged.id:
        raise CannotMerge(f"{survivor.id} cannot be merged into itself")
    if survivor.merged_into is not None:
        raise CannotMerge(f"{survivor.id} was merged into {survivor.merged_into}")
    if merged.merged_into == survivor.id:
        return False
    if merged.merged_into is not None:
        raise CannotMerge(f"{merged.id} was already merged into {merged.merged_into}")
    if survivor.id in merged.merges:
        raise CannotMerge(f"{survivor.id} was merged into {merged.id}")
    return True


@dataclass(frozen=True)
class TimelinePage:
    entries: list[str] = field(default_factory=list)
    next_cursor: str | None = None


def timeline_entry(created_at: datetime, ticket_id: str) -> str:
    """How a ticket is filed on its customer's timeline: sorting these sorts by time."""
    return f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%f')}|{ticket_id}"


def entry_ticket_id(entry: str) -> str:
    return entry.partition("|")[2]


def timeline_page(entries: list[str], cursor: str | None, limit: int) -> TimelinePage:
    """Newest first, after the cursor (the last entry of the page before)."""
    ordered = sorted(set(entries), reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [entry for entry in ordered if entry < after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return TimelinePage(page, encode_cursor(page[-1]) if more else None)


def encode_cursor(entry: str) -> str:
    return base64.urlsafe_b64encode(entry.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        entry = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadQuery("cursor", "not a cursor this API gave") from exc
    if "|" not in entry:
        raise BadQuery("cursor", "not a cursor this API gave")
    return entry


def absorbed(survivor: CustomerProfile, merged: CustomerProfile) -> CustomerProfile:
    """The surviving record after a merge: its own fields first, the merged one's where it
    has none, every CRM id of both."""
    gaps = {
        key: getattr(merged, key)
        for key in (*CRM_FIELDS, "email", "phone")
        if getattr(survivor, key) is None
    }
    ids = tuple(sorted({*survivor.external_ids, *merged.external_ids}))
    return replace(survivor, **gaps, external_ids=ids)


# The survivor's fields a merge may fill from the merged record.
FILLED_FIELDS = (*CRM_FIELDS, "email", "phone")


@dataclass(frozen=True)
class MergeUndo:
    """What a merge changed on the survivor, kept on it so the merge can be undone: the
    records it took in (the merged one and those merged into it), the identity keys and CRM
    ids it took, and its fields the merged record filled."""

    merges: tuple[str, ...]
    keys: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


def merge_undo(
    survivor: CustomerProfile,
    merged: CustomerProfile,
    survivor_keys: list[str],
    merged_keys: list[str],
) -> MergeUndo:
    """How to undo merging `merged` into `survivor`, from both as they are before it."""
    own = set(survivor_keys)
    return MergeUndo(
        merges=(merged.id, *merged.merges),
        keys=tuple(key for key in merged_keys if key not in own),
        external_ids=tuple(sorted(set(merged.external_ids) - set(survivor.external_ids))),
        fields=tuple(
            key
            for key in FILLED_FIELDS
            if getattr(survivor, key) is None and getattr(merged, key) is not None
        ),
    )


def check_unmerge(survivor: CustomerProfile, merged: CustomerProfile) -> None:
    if merged.merged_into != survivor.id:
        raise CannotUnmerge(f"{merged.id} is not merged into {survivor.id}")
    if survivor.merged_into is not None:
        raise CannotUnmerge(
            f"{survivor.id} was merged into {survivor.merged_into}: unmerge that first"
        )


def fields_to_clear(
    survivor: CustomerProfile, merged: CustomerProfile, undo: MergeUndo
) -> tuple[str, ...]:
    """The fields the merge filled that still hold the merged record's value; one changed
    since (by the CRM, by an agent) is the survivor's own now and stays."""
    return tuple(key for key in undo.fields if getattr(survivor, key) == getattr(merged, key))
