"""Customers' service layer: the profile and timeline, lookups, the CRM's upserts, merges
and their undoing."""

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

from intake.customer_linking import new_customer_id
from intake.domain.customer_identities import (
    Identity,
    email_identity,
    external_identity,
    phone_identity,
)
from intake.domain.customer_profiles import (
    CannotUnmerge,
    ConflictingIds,
    CustomerNotFound,
    CustomerProfile,
    absorbed,
    check_merge,
    check_unmerge,
    entry_ticket_id,
    fields_to_clear,
    merge_undo,
    owners_in_conflict,
    timeline_page,
)
from intake.domain.timelines import TimelineTicket
from intake.ports import (
    CustomerIdentities,
    CustomerProfiles,
    CustomerTimelines,
    Filed,
    TicketRepository,
)
from ticketflow_shared.access.principal import Scope
from ticketflow_shared.errors import NotAllowed


@dataclass(frozen=True)
class CustomerView:
    profile: CustomerProfile
    tickets: list[TimelineTicket]
    next_cursor: str | None


@dataclass(frozen=True)
class Customers:
    """What the customer routes work with, built once in bootstrap."""

    profiles: CustomerProfiles
    identities: CustomerIdentities
    timelines: CustomerTimelines


async def customer_view(
    customers: Customers,
    tickets: TicketRepository,
    customer_id: str,
    scope: Scope,
    cursor: str | None,
    limit: int,
) -> CustomerView:
    """The record and one page of its timeline, newest first, of the tickets `scope` sees
    (a page may hold fewer than `limit` when some are another department's).

    The record and the customer's own timeline are read together; only the timelines of
    records merged into this one wait for the record, which names them. A ticket is shown
    from the summary kept on the timeline, and read itself only when none is kept.
    """
    profile, own = await asyncio.gather(
        customers.profiles.get(customer_id), customers.timelines.filed(customer_id)
    )
    if profile is None:
        raise CustomerNotFound(customer_id)
    if profile.merged_into is not None:
        return CustomerView(profile, [], None)
    return await _with_timeline(customers, tickets, profile, own, scope, cursor, limit)


async def _with_timeline(
    customers: Customers,
    tickets: TicketRepository,
    profile: CustomerProfile,
    own: Filed,
    scope: Scope,
    cursor: str | None,
    limit: int,
) -> CustomerView:
    """The record with a page of its own timeline and those of the records merged into it."""
    merged = await asyncio.gather(*(customers.timelines.filed(m) for m in profile.merges))
    filed: list[Filed] = [own, *merged]
    page = timeline_page([entry for f in filed for entry in f.entries], cursor, limit)
    summaries = {key: summary for f in filed for key, summary in f.summaries.items()}
    ids = [entry_ticket_id(entry) for entry in page.entries]
    shown = {i: _summarised(customers, summaries, i) for i in ids}
    read = await asyncio.gather(*(tickets.get(i) for i, item in shown.items() if item is None))
    shown.update({t.id: TimelineTicket.of(t) for t in read if t is not None})
    found = [shown[i] for i in ids]
    visible = [t for t in found if t is not None and scope.allows(t.departments, t.created_by)]
    return CustomerView(profile, visible, page.next_cursor)


def _summarised(
    customers: Customers, summaries: dict[str, dict], ticket_id: str
) -> TimelineTicket | None:
    summary = summaries.get(ticket_id)
    return None if summary is None else customers.timelines.opened(summary)


async def customers_named(customers: Customers, identity: Identity) -> list[str]:
    owner = await customers.identities.owner(identity)
    return [owner] if owner else []


def crm_identities(system: str, external_id: str, email: str | None, phone: str | None):
    """What a CRM record names its customer by; InvalidIdentity for a malformed one."""
    found = [external_identity(system, external_id)]
    if email:
        found.append(email_identity(email))
    if phone:
        found.append(phone_identity(phone))
    return found


async def upsert_from_crm(
    customers: Customers, system: str, external_id: str, record: dict, now: datetime
) -> tuple[CustomerProfile, bool]:
    """Create or update the customer the CRM record names; whether it is new.

    Ids of two different customers are refused before anything is written.
    """
    named = crm_identities(system, external_id, record.get("email"), record.get("phone"))
    keys = {identity: customers.identities.stored_key(identity) for identity in named}
    owners = {identity: await customers.identities.owner(identity) for identity in named}
    conflict = owners_in_conflict({identity.key: owner for identity, owner in owners.items()})
    if conflict:
        raise ConflictingIds(conflict)
    customer_id = next((o for o in owners.values() if o), None) or new_customer_id()
    created = all(owner is None for owner in owners.values())
    await customers.profiles.list_identities(customer_id, list(keys.values()))
    for identity, owner in owners.items():
        if owner is None:
            claimed = await customers.identities.claim(identity, customer_id, now)
            if claimed != customer_id:  # another request claimed it in between
                raise ConflictingIds({identity.key: claimed, "this record": customer_id})
    profile = await customers.profiles.get(customer_id) or CustomerProfile(customer_id)
    profile = profile.with_crm_record(system.lower(), external_id.strip(), record)
    await customers.profiles.save_crm_record(profile)
    return profile, created


class MergeNotAllowed(NotAllowed):
    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"you see no ticket of customer {customer_id}: someone who sees one of its "
            "tickets (or every department's) merges it"
        )


# How far back a caller's own tickets of a record are looked for before a merge.
MERGE_CHECK_TICKETS = 200


async def check_may_merge(
    customers: Customers, tickets: TicketRepository, scope: Scope, *customer_ids: str
) -> None:
    """A caller who sees only some tickets merges only records with a ticket it sees among
    their latest, so no agent joins strangers' records; one who sees all merges any."""
    if scope.everything:
        return
    for customer_id in customer_ids:
        view = await customer_view(
            customers, tickets, customer_id, scope, None, MERGE_CHECK_TICKETS
        )
        if view.profile.merged_into is None and not view.tickets:
            raise MergeNotAllowed(customer_id)


async def check_may_unmerge(
    customers: Customers,
    tickets: TicketRepository,
    scope: Scope,
    survivor_id: str,
    merged_id: str,
) -> None:
    """As for a merge: a caller who sees only some tickets separates records only when it
    sees a ticket of each among their latest, each with the records merged into it that go
    with it, and not the other's."""
    if scope.everything:
        return
    survivor, merged = await asyncio.gather(
        _profile(customers, survivor_id), _profile(customers, merged_id)
    )
    leaving = {merged.id, *merged.merges}
    staying = replace(survivor, merges=tuple(m for m in survivor.merges if m not in leaving))
    for profile in (staying, merged):
        own = await customers.timelines.filed(profile.id)
        view = await _with_timeline(
            customers, tickets, profile, own, scope, None, MERGE_CHECK_TICKETS
        )
        if not view.tickets:
            raise MergeNotAllowed(profile.id)


async def merge(customers: Customers, survivor_id: str, merged_id: str) -> CustomerProfile:
    """Merge one record into another. Recorded on the survivor first, with what the merge
    changes there (so `unmerge` can undo it), then the identities move, then the merged
    record points at the survivor: a retry after a crash finishes it."""
    survivor = await _profile(customers, survivor_id)
    merged = await _profile(customers, merged_id)
    to_do = check_merge(survivor, merged)
    keys = await customers.profiles.identity_keys(merged.id)
    undo = None
    if to_do:  # not for a merge done already: its survivor has taken in all it will
        own = await customers.profiles.identity_keys(survivor.id)
        undo = merge_undo(survivor, merged, own, keys)
    await customers.profiles.record_merge(survivor.id, merged, undo)
    await customers.profiles.save_crm_record(absorbed(survivor, merged))
    await customers.profiles.list_identities(survivor.id, keys)
    for key in keys:
        await customers.identities.move(key, merged.id, survivor.id)
    await customers.profiles.mark_merged(merged.id, survivor.id)
    return await _profile(customers, survivor.id)


async def unmerge(customers: Customers, survivor_id: str, merged_id: str) -> CustomerProfile:
    """Undo merging `merged_id` into `survivor_id`; the merged record as it stands again.

    The identities the survivor took go back first (so new tickets of the merged record's
    addresses are its own again), then the survivor drops in one write what the merge gave
    it (the merged records' timelines, their identity keys and CRM ids, the fields they
    filled unless changed since), then the merged record stops pointing at the survivor: a
    retry after a crash finishes it. Tickets made after the merge under the survivor's id
    stay the survivor's.
    """
    survivor = await _profile(customers, survivor_id)
    merged = await _profile(customers, merged_id)
    check_unmerge(survivor, merged)
    undo = await customers.profiles.merge_undo(survivor.id, merged.id)
    if undo is None and merged.id in survivor.merges:
        raise CannotUnmerge(
            f"{merged.id} was merged into {survivor.id} before merges kept what they "
            "changed: it cannot be undone"
        )
    if undo is not None:  # else a retry: the survivor was restored already
        for key in undo.keys:
            await customers.identities.move(key, survivor.id, merged.id)
        clear = fields_to_clear(survivor, merged, undo)
        await customers.profiles.undo_merge(survivor.id, merged.id, undo, clear)
    await customers.profiles.mark_unmerged(merged.id)
    return await _profile(customers, merged.id)


async def _profile(customers: Customers, customer_id: str) -> CustomerProfile:
    profile = await customers.profiles.get(customer_id)
    if profile is None:
        raise CustomerNotFound(customer_id)
    return profile
