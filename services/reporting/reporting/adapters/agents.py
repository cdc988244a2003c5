"""The `agents` read model in MongoDB: the newest agent.updated per agent.

Each profile is stored with its `order` key; rows written before it have none, and any
profile replaces those (they can only be older).
"""

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reporting.domain.agents import AgentProfile

AGENTS = "agents"
UPSERT_ATTEMPTS = 3


class MongoAgentProfiles:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[AGENTS]

    async def keep_newest(self, profile: AgentProfile) -> bool:
        """Replace only an older profile; the filters miss a newer or equally new one."""
        update = {"$set": {**profile.model_dump(exclude={"agent_id"}), "order": profile.order}}
        older = {"_id": profile.agent_id, "order": {"$lt": profile.order}}
        unordered = {"_id": profile.agent_id, "order": {"$exists": False}}
        for _ in range(UPSERT_ATTEMPTS):
            if (await self.collection.update_one(older, update)).matched_count:
                return True
            try:
                await self.collection.update_one(unordered, update, upsert=True)
                return True
            except DuplicateKeyError:
                # A profile exists that both filters missed: newer (we are stale), or an older
                # one inserted by a concurrent update just now, which the next try replaces.
                if await self._kept_is_not_older(profile):
                    return False
        raise RuntimeError(f"could not store profile of agent {profile.agent_id}")

    async def list(self) -> list[AgentProfile]:
        cursor = self.collection.find({})
        return [
            AgentProfile.model_validate({**doc, "agent_id": doc["_id"]}) async for doc in cursor
        ]

    async def _kept_is_not_older(self, profile: AgentProfile) -> bool:
        found = await self.collection.find_one(
            {"_id": profile.agent_id, "order": {"$gte": profile.order}}, {"_id": 1}
        )
        return found is not None
