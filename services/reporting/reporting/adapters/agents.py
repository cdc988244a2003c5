"""The `agents` read model in MongoDB: the newest agent.updated per agent."""

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reporting.domain.agents import AgentProfile

AGENTS = "agents"
UPSERT_ATTEMPTS = 3


class MongoAgentProfiles:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[AGENTS]

    async def keep_newest(self, profile: AgentProfile) -> bool:
        """Replace only an older profile; the filter misses a newer or equally new one."""
        guard = {"_id": profile.agent_id, "updated_at": {"$lt": profile.updated_at}}
        fields = profile.model_dump(exclude={"agent_id"})
        for _ in range(UPSERT_ATTEMPTS):
            try:
                await self.collection.update_one(guard, {"$set": fields}, upsert=True)
                return True
            except DuplicateKeyError:
                # A profile exists that the guard missed: newer (we are stale), or an older one
                # inserted by a concurrent update just now, which the next try replaces.
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
            {"_id": profile.agent_id, "updated_at": {"$gte": profile.updated_at}}, {"_id": 1}
        )
        return found is not None
