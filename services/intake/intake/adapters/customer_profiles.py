"""Customer records in MongoDB, one document per `customer_id`, read and written by `_id` only.

The CRM's contact data (address, phone) is sealed like a ticket's; the record lists the
stored keys of its identities (blind indexes for addresses and phones), so a merge can move
them. Each write is one single-document update: no step needs a transaction.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.domain.customer_profiles import CRM_FIELDS, CustomerProfile
from ticketflow_shared.pii import FieldCipher

CUSTOMER_PROFILES = "customer_profiles"
CUSTOMER_TIMELINES = "customer_timelines"
EMAIL = "customer.email"
PHONE = "customer.phone"
IDENTITIES = "identities"


class MongoCustomerProfiles:
    def __init__(self, collection: AsyncCollection, cipher: FieldCipher) -> None:
        self.collection = collection
        self.cipher = cipher

    async def get(self, customer_id: str) -> CustomerProfile | None:
        doc = await self.collection.find_one({"_id": customer_id})
        return self._profile(doc) if doc else None

    async def identity_keys(self, customer_id: str) -> list[str]:
        doc = await self.collection.find_one({"_id": customer_id}, {IDENTITIES: 1})
        return list(doc.get(IDENTITIES) or []) if doc else []

    async def list_identities(self, customer_id: str, keys: list[str]) -> None:
        """Note identity keys as the customer's; listed before they are claimed, so a crash
        never leaves one claimed and unlisted (a listed key another claimed is harmless)."""
        await self.collection.update_one(
            {"_id": customer_id}, {"$addToSet": {IDENTITIES: {"$each": keys}}}, upsert=True
        )

    async def save_crm_record(self, profile: CustomerProfile) -> None:
        fields: dict[str, Any] = {key: getattr(profile, key) for key in CRM_FIELDS}
        fields["email"] = self.cipher.seal_optional(profile.email, EMAIL)
        fields["phone"] = self.cipher.seal_optional(profile.phone, PHONE)
        fields["external_ids"] = list(profile.external_ids)
        await self.collection.update_one({"_id": profile.id}, {"$set": fields}, upsert=True)

    async def record_merge(self, survivor: str, merged: CustomerProfile) -> None:
        """First step of a merge, on the surviving record: from now on its timeline holds the
        merged record's, and a retry knows what is left to do."""
        ids = [merged.id, *merged.merges]
        await self.collection.update_one(
            {"_id": survivor}, {"$addToSet": {"merges": {"$each": ids}}}, upsert=True
        )

    async def mark_merged(self, merged: str, survivor: str) -> None:
        await self.collection.update_one(
            {"_id": merged}, {"$set": {"merged_into": survivor}}, upsert=True
        )

    def _profile(self, doc: dict[str, Any]) -> CustomerProfile:
        return CustomerProfile(
            id=doc["_id"],
            **{key: doc.get(key) for key in CRM_FIELDS},
            email=self.cipher.open_optional(doc.get("email"), EMAIL),
            phone=self.cipher.open_optional(doc.get("phone"), PHONE),
            external_ids=tuple(doc.get("external_ids") or ()),
            merged_into=doc.get("merged_into"),
            merges=tuple(doc.get("merges") or ()),
        )
