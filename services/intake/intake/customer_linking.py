"""A new ticket's customer: the one its address or phone already names, else a new record."""

import contextlib
import secrets
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
    async def resolve(
        self, identities: list[Identity], new_id: str, now: datetime
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


async def linked(customer: Customer, identities: CustomerIdentities, now: datetime) -> Customer:
    """The customer with its unified `customer_id`; as given if it has one or nothing names it."""
    known = identities_of(customer)
    if customer.customer_id or not known:
        return customer
    customer_id, _ = await identities.resolve(known, new_customer_id(), now)
    # No validation again: it would turn the checked IDNA address back into Unicode.
    return customer.model_copy(update={"customer_id": customer_id})
