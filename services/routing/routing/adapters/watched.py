"""Whether this process wrote agents or claims lately, for a look that would only repeat.

A new ticket nobody could take is queued and then looked at once more, for an agent freed
while it was being queued (whose drain could not see it in the queue yet). Agents become
able to take more only through writes of agents or claims, each followed by a drain of its
own. So where no such write began or ended since before the first look read them, the look
after queueing would find what the first found; and one still under way when asked is
followed by its drain, which reads the queue after this ticket entered it. Only a process
alone on FerretDB sees every such write (`lone_on_ferretdb`); anywhere else it always looks.
"""

from typing import Any

from ticketflow_shared.serialized import WRITE_METHODS, lone_on_ferretdb


class AgentWrites:
    """Counts the beginnings and ends of this process's writes of agents and claims."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection  # one of them, to ask whether this process is alone
        self._changes = 0

    def watched(self, collection: Any) -> "Watched":
        return Watched(collection, self)

    def mark(self) -> int:
        return self._changes

    def quiet_since(self, mark: int) -> bool:
        return lone_on_ferretdb(self._collection) and self._changes == mark

    def changed(self) -> None:
        self._changes += 1


class Watched:
    """A collection whose writes are counted by `AgentWrites` as they begin and as they end."""

    def __init__(self, collection: Any, writes: AgentWrites) -> None:
        self._collection = collection
        self._writes = writes

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in WRITE_METHODS:
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._writes.changed()
            try:
                return await attribute(*args, **kwargs)
            finally:
                self._writes.changed()

        return call
