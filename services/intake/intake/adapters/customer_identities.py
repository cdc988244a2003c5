"""Which customer an identity belongs to: one document per identity, `_id` = `kind:value`.

FerretDB makes no write atomic across processes but an insert under a unique key, so a
customer is created by claiming its first identity (in key order) with an insert; whoever
loses the race reads the winner's customer id and uses it. Every lookup is a bare `_id` read.
An address or a phone number is kept as its keyed hash (`FieldCipher.blind_index`), never
in clear: the key of an identity is what a raw read of the store shows.
"""

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from intake.adapters.customer_profiles import MongoCustomerProfiles
from intake.domain.customer_identities import EMAIL, PHONE, Identity
from ticketflow_shared.pii import FieldCipher

CUSTOMER_IDENTITIES = "customer_identities"


class MongoCustomerIdentities:
    def __init__(
        self,
        collection: AsyncCollection,
        cipher: FieldCipher,
        profiles: MongoCustomerProfiles | None = None,
    ) -> None:
        self.collection = collection
        self.cipher = cipher
        # Where each claimed identity is listed on its customer's record, for merges.
        self.profiles = profiles

    def stored_key(self, identity: Identity) -> str:
        if identity.kind in (EMAIL, PHONE):
            return f"{identity.kind}:{self.cipher.blind_index(identity.value)}"
        return identity.key

    async def owner(self, identity: Identity) -> str | None:
        doc = await self.collection.find_one({"_id": self.stored_key(identity)}, {"customer_id": 1})
        return doc["customer_id"] if doc else None

    async def claim(self, identity: Identity, customer_id: str, now: datetime) -> str:
        """The identity's customer: `customer_id` if this call claimed it, else its owner."""
        key = self.stored_key(identity)
        if self.profiles is not None:
            await self.profiles.list_identities(customer_id, [key])
        try:
            await self.collection.insert_one({"_id": key, "customer_id": customer_id, "at": now})
            return customer_id
        except DuplicateKeyError:
            owner = await self.owner(identity)
            assert owner is not None  # identity documents are never deleted
            return owner

    async def resolve(
        self, identities: list[Identity], new_id: str, now: datetime, *, unowned: bool = False
    ) -> tuple[str, bool]:
        """The customer these identities name, and whether it is new (then `new_id`).

        The first identity already owned decides; if none is, the first in key order is
        claimed for `new_id`. The rest are claimed for that customer where still free (an
        identity owned by another customer stays with it: merging is an agent's decision).
        With `unowned` (the caller just found none owned) nothing is looked up first: each
        claim's unique insert still yields to an owner that appeared meanwhile.
        """
        ordered = sorted(set(identities))
        if not ordered:
            raise ValueError("a customer needs at least one identity")
        if unowned:
            owners: list[str | None] = [None] * len(ordered)
        else:
            owners = [await self.owner(identity) for identity in ordered]
        known = next((owner for owner in owners if owner is not None), None)
        rest = list(zip(ordered, owners, strict=True))
        if known is None:
            customer_id = await self.claim(ordered[0], new_id, now)
            rest = rest[1:]
        else:
            customer_id = known
        for identity, owner in rest:
            if owner is None:
                await self.claim(identity, customer_id, now)
        return customer_id, customer_id == new_id

    async def move(self, key: str, from_customer: str, to_customer: str) -> None:
        """Give a stored identity to another customer, if `from_customer` still holds it."""
        await self.collection.update_one(
            {"_id": key, "customer_id": from_customer}, {"$set": {"customer_id": to_customer}}
        )
