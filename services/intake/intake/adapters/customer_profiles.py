"""Customer records in MongoDB, one document per `customer_id`, read and written by `_id` only.

The CRM's contact data (address, phone) is sealed like a ticket's; the record lists the
stored keys of its identities (blind indexes for addresses and phones), so a merge can move
them. Each write is one single-document update: no step needs a transaction.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from intake.domain.customer_profiles import CRM_FIELDS, CustomerProfile, MergeUndo
from ticketflow_shared.pii import FieldCipher

CUSTOMER_PROFILES = "customer_profiles"
CUSTOMER_TIMELINES = "customer_timelines"
EMAIL = "customer.email"
PHONE = "customer.phone"
IDENTITIES = "identities"
# On a survivor, per record merged into it: what the merge changed (MergeUndo).
MERGE_UNDO = "merge_undo"


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

    async def record_merge(
        self, survivor: str, merged: CustomerProfile, undo: MergeUndo | None = None
    ) -> None:
        """First step of a merge, on the surviving record: from now on its timeline holds the
        merged record's, and a retry knows what is left to do. `undo` is kept with it, in the
        same write, unless one is kept already (a retry's would see the merge half done)."""
        added = {"$addToSet": {"merges": {"$each": [merged.id, *merged.merges]}}}
        if undo is not None:
            path = f"{MERGE_UNDO}.{merged.id}"
            first = await self.collection.update_one(
                {"_id": survivor, path: {"$exists": False}},
                {**added, "$set": {path: _undo_document(undo)}},
            )
            if first.matched_count:
                return
        await self.collection.update_one({"_id": survivor}, added, upsert=True)

    async def merge_undo(self, survivor: str, merged: str) -> MergeUndo | None:
        doc = await self.collection.find_one({"_id": survivor}, {MERGE_UNDO: 1})
        kept = ((doc or {}).get(MERGE_UNDO) or {}).get(merged)
        if kept is None:
            return None
        return MergeUndo(**{key: tuple(kept.get(key) or ()) for key in _UNDO_PARTS})

    async def undo_merge(
        self, survivor: str, merged: str, undo: MergeUndo, clear: tuple[str, ...]
    ) -> None:
        """The survivor as before the merge, in one write: without the merged records, the
        identity keys and CRM ids it took, the `clear` fields, and the merge's undo."""
        pulled = {
            "merges": list(undo.merges),
            IDENTITIES: list(undo.keys),
            "external_ids": list(undo.external_ids),
        }
        unset = dict.fromkeys([f"{MERGE_UNDO}.{merged}", *clear], "")
        # $pullAll: FerretDB 1.24 takes {"$pull": {f: {"$in": [...]}}} and removes nothing.
        await self.collection.update_one({"_id": survivor}, {"$pullAll": pulled, "$unset": unset})

    async def mark_unmerged(self, merged: str) -> None:
        await self.collection.update_one({"_id": merged}, {"$unset": {"merged_into": ""}})

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


_UNDO_PARTS = ("merges", "keys", "external_ids", "fields")


def _undo_document(undo: MergeUndo) -> dict[str, list[str]]:
    return {key: list(getattr(undo, key)) for key in _UNDO_PARTS}
