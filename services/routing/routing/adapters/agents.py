"""Agents' profiles in Mongo; what they hold lives in the assignments collection."""

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.domain import Agent, SkillRequirement
from routing.domain.calendars import Calendar
from ticketflow_shared import outbox
from ticketflow_shared.events import Envelope, Presence
from ticketflow_shared.store import replace_map


def _profile(agent: Agent) -> dict[str, Any]:
    return {**agent.profile(), "presence": agent.presence.value, "version": agent.version}


RECENT_WINDOW = timedelta(hours=1)
TRIM_AT = 100  # recent assignment times an agent holds before the old ones are dropped


@lru_cache(maxsize=4096)
def _calendar(timezone: str, hours: str, country: str | None, closed: tuple[str, ...]) -> Calendar:
    return Calendar.weekly(
        timezone,
        json.loads(hours),
        country=country,
        closed_dates=[date.fromisoformat(day) for day in closed],
    )


def shift_doc(shift: Calendar | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "timezone": shift.timezone,
        # A list, not a map: FerretDB may skip a $set of a map whose values alone match; of
        # documents, not pairs: FerretDB 1.24 stores no nested arrays.
        "hours": [{"day": day, "hours": hours} for day, hours in shift.hours().items()],
        "country": shift.country,
        "closed_dates": sorted(day.isoformat() for day in shift.closed_dates),
    }


def shift_of(doc: dict[str, Any] | None) -> Calendar | None:
    """A stored shift as a calendar, parsed once per distinct shift."""
    if not doc:
        return None
    hours = json.dumps({item["day"]: item["hours"] for item in doc["hours"]}, sort_keys=True)
    return _calendar(doc["timezone"], hours, doc.get("country"), tuple(doc.get("closed_dates", ())))


def _agent(doc: dict[str, Any]) -> Agent:
    return Agent(
        agent_id=doc["_id"],
        name=doc["name"],
        department=doc["department"],
        skills=dict(doc.get("skills") or {}),
        capacity=doc["capacity"],
        presence=Presence(doc["presence"]),
        presence_reason=doc.get("presence_reason"),
        version=doc.get("version", 0),
        languages=tuple(doc.get("languages") or ()),
        shift=shift_of(doc.get("shift")),
        last_assigned_at=doc.get("last_assigned_at"),
        recent_assignments=tuple(doc.get("recent_assignments") or ()),
    )


class MongoAgents:
    def __init__(self, collection: AsyncCollection, publish: outbox.OutboxFlush) -> None:
        self.collection = collection
        self.publish = publish

    async def add(self, agent: Agent, events: list[Envelope], now: datetime) -> bool:
        fields, entries = outbox.outbox_fields(events, now)
        doc = {"_id": agent.agent_id, **_profile(agent), "created_at": now, "updated_at": now}
        try:
            await self.collection.insert_one({**doc, **fields})
        except DuplicateKeyError:
            return False
        await self.publish(self.collection, agent.agent_id, entries)
        return True

    async def get(self, agent_id: str) -> Agent | None:
        doc = await self.collection.find_one({"_id": agent_id}, {outbox.OUTBOX: 0})
        return _agent(doc) if doc else None

    async def search(
        self, presence: Presence | None = None, skill: str | None = None
    ) -> list[Agent]:
        query: dict[str, Any] = {}
        if presence is not None:
            query["presence"] = presence.value
        if skill is not None:
            query[f"skills.{skill}"] = {"$gte": 1}
        cursor = self.collection.find(query, {outbox.OUTBOX: 0}).sort("_id", 1)
        return [_agent(doc) async for doc in cursor]

    async def save(
        self, agent: Agent, expected_version: int, events: list[Envelope], now: datetime
    ) -> bool:
        projection = {"skills": 1, "version": 1}
        stored = await self.collection.find_one({"_id": agent.agent_id}, projection)
        if stored is None or stored.get("version", 0) != expected_version:
            return False
        profile = _profile(agent)
        # Key by key from what is stored: FerretDB ignores a whole-map $set whose values
        # match the stored ones in order (see replace_map). The version filter below makes
        # sure `stored` is still what the update applies to.
        skills = replace_map("skills", stored.get("skills"), profile.pop("skills"))
        push, entries = outbox.push_outbox(events, now)
        update = outbox.merge_updates({"$set": {**profile, "updated_at": now}}, skills, push)
        result = await self.collection.update_one(
            {"_id": agent.agent_id, "version": expected_version}, update
        )
        if result.matched_count == 0:
            return False
        await self.publish(self.collection, agent.agent_id, entries)
        return True

    async def available_for(self, requirement: SkillRequirement) -> list[Agent]:
        query = {
            "presence": Presence.available.value,
            "capacity": {"$gt": 0},
            f"skills.{requirement.skill}": {"$gte": requirement.min_level},
        }
        return [_agent(doc) async for doc in self.collection.find(query, {outbox.OUTBOX: 0})]

    async def note_assigned(self, agent: Agent, now: datetime) -> None:
        """Remember a new ticket for `agent` (as read for this choice) at `now`.

        One `$push`, so two at once both count. Times older than the window are dropped
        only once the agent holds `TRIM_AT` of them, by a read and a whole write: FerretDB
        1.24 ignores `$slice` and conditional `$pull`. Counting looks at the window only.
        """
        if len(agent.recent_assignments) < TRIM_AT:
            update = {"$push": {"recent_assignments": now}, "$set": {"last_assigned_at": now}}
            await self.collection.update_one({"_id": agent.agent_id}, update)
            return
        doc = await self.collection.find_one({"_id": agent.agent_id}, {"recent_assignments": 1})
        if doc is None:
            return
        since = now - RECENT_WINDOW
        kept = [at for at in doc.get("recent_assignments") or [] if at > since]
        trimmed = {"recent_assignments": [*kept, now], "last_assigned_at": now}
        await self.collection.update_one({"_id": agent.agent_id}, {"$set": trimmed})

    async def set_extras(
        self,
        agent_id: str,
        *,
        languages: list[str] | None = None,
        shift: Calendar | None = None,
        clear_shift: bool = False,
    ) -> bool:
        """Store an agent's languages and shift (not part of agent.updated.v1)."""
        update: dict[str, Any] = {}
        if languages is not None:
            update["languages"] = languages
        if shift is not None or clear_shift:
            update["shift"] = shift_doc(shift)
        if not update:
            return await self.collection.find_one({"_id": agent_id}, {"_id": 1}) is not None
        result = await self.collection.update_one({"_id": agent_id}, {"$set": update})
        return result.matched_count == 1
