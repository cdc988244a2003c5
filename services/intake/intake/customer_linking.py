"""A new ticket's customer: the one its address or phone already names, else a new record.

A new record is made only once the ticket is ready to be stored (triage done), so a ticket
refused or failing before that leaves no record of a customer who has no ticket.
"""

import contextlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from intake.domain.customer_identities import (
    Identity,
    InvalidIdentity,
    email_identity,
    phone_identity,
)
from ticketflow_shared.events import Customer


class CustomerIdentities(Protocol):
    async def owner(self, identity: Identity) -> str | None: ...

    async def resolve(
        self, identities: list[Identity], new_id: str, now: datetime, *, unowned: bool = False
    ) -> tuple[str, bool]: ...


def new_customer_id() -> str:
    return f"C-{secrets.token_hex(12)}"


def identities_of(customer: Customer) -> list[Identity]:
    """What names the customer; a phone not in international form names nobody."""
    found = [email_identity(customer.email)] if customer.email else []
    if customer.phone:
        # Kept on the ticket as written; matching needs the country code.
        with contextlib.suppress(InvalidIdentity):
            found.append(phone_identity(customer.phone))
    return found


async def known(
    customer: Customer,
    identities: CustomerIdentities,
    now: datetime,
    also_named: Sequence[Identity] = (),
) -> Customer:
    """The customer with its unified `customer_id` if one of its identities is on record
    already (its other identities are claimed for it too); else as given, with nothing
    written: `linked` makes the new record once the ticket is ready."""
    named = [*also_named, *identities_of(customer)]
    if customer.customer_id or not named:
        return customer
    for identity in named:
        if await identities.owner(identity) is not None:
            return await linked(customer, identities, now, also_named)
    return customer


async def linked(
    customer: Customer,
    identities: CustomerIdentities,
    now: datetime,
    also_named: Sequence[Identity] = (),
    *,
    unowned: bool = False,
) -> Customer:
    """The customer with its unified `customer_id`; as given if it has one or nothing names it.

    `also_named`: identities naming the customer beyond its address and phone (a chat user).
    `unowned`: `known` just found none of them on record, so they are claimed without being
    looked up again (a claim another request made meanwhile still wins).
    """
    named = [*also_named, *identities_of(customer)]
    if customer.customer_id or not named:
        return customer
    customer_id, _ = await identities.resolve(named, new_customer_id(), now, unowned=unowned)
    # No validation again: it would turn the checked IDNA address back into Unicode.
    return customer.model_copy(update={"customer_id": customer_id})
