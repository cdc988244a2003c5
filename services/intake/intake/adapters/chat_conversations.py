"""Which ticket each chat conversation is on: one document per conversation, keyed by it."""

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

CHAT_CONVERSATIONS = "chat_conversations"


class MongoChatConversations:
    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection

    async def ticket_of(self, key: str) -> str | None:
        found = await self._collection.find_one({"_id": key})
        return found["ticket_id"] if found else None

    async def claim(self, key: str, ticket_id: str) -> str:
        """The conversation's ticket: `ticket_id` if this insert made the mapping, else the
        one another process's insert put there first (the unique `_id` decides)."""
        try:
            await self._collection.insert_one({"_id": key, "ticket_id": ticket_id})
            return ticket_id
        except DuplicateKeyError:
            return await self.ticket_of(key) or ticket_id

    async def move(self, key: str, old_ticket_id: str, new_ticket_id: str) -> None:
        """Point the conversation at `new_ticket_id`, unless it moved away from `old` already."""
        await self._collection.update_one(
            {"_id": key, "ticket_id": old_ticket_id}, {"$set": {"ticket_id": new_ticket_id}}
        )
