"""Departments' routing settings in Mongo, with a per-process copy for the ticket path
(`RefreshedCopy`): this process's writes show at once, another's within `REFRESH_SECONDS`."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import DepartmentSettings
from routing.domain.offers import MissedOfferPresence, OfferMode, OfferSettings
from ticketflow_shared.refreshed import RefreshedCopy

REFRESH_SECONDS = 2.0


def _offer(doc: dict[str, Any] | None) -> OfferSettings:
    if not doc:  # stored before offers existed
        return OfferSettings()
    return OfferSettings(
        mode=OfferMode(doc["mode"]),
        timeout_seconds=doc["timeout_seconds"],
        missed_offer_presence=MissedOfferPresence(doc["missed_offer_presence"]),
        missed_offer_reason=doc["missed_offer_reason"],
        decline_cooldown_seconds=doc["decline_cooldown_seconds"],
    )


def _offer_doc(offer: OfferSettings) -> dict[str, Any]:
    return {
        "mode": offer.mode.value,
        "timeout_seconds": offer.timeout_seconds,
        "missed_offer_presence": offer.missed_offer_presence.value,
        "missed_offer_reason": offer.missed_offer_reason,
        "decline_cooldown_seconds": offer.decline_cooldown_seconds,
    }


def _settings(doc: dict[str, Any]) -> DepartmentSettings:
    statuses = doc.get("release_capacity_on") or []
    return DepartmentSettings.of(doc["_id"], statuses, _offer(doc.get("offer")))


class MongoDepartments:
    def __init__(self, collection: AsyncCollection, refresh_seconds: float = REFRESH_SECONDS):
        self.collection = collection
        self.copy = RefreshedCopy(self._by_name, refresh_seconds)

    async def get(self, name: str) -> DepartmentSettings | None:
        doc = await self.collection.find_one({"_id": name})
        return _settings(doc) if doc else None

    async def in_force(self, name: str) -> DepartmentSettings | None:
        return (await self.copy.current()).get(name)

    async def _by_name(self) -> dict[str, DepartmentSettings]:
        return {settings.name: settings for settings in await self.all()}

    async def put(self, settings: DepartmentSettings, now: datetime) -> None:
        statuses = sorted(status.value for status in settings.release_capacity_on)
        doc = {
            "release_capacity_on": statuses,
            "offer": _offer_doc(settings.offer),
            "updated_at": now,
        }
        try:
            await self.collection.replace_one({"_id": settings.name}, doc, upsert=True)
        except DuplicateKeyError:
            # Two first writes raced to insert; the document exists now, so replace it.
            await self.collection.replace_one({"_id": settings.name}, doc)
        finally:
            self.copy.forget()

    async def all(self) -> list[DepartmentSettings]:
        return [_settings(doc) async for doc in self.collection.find().sort("_id", 1)]
