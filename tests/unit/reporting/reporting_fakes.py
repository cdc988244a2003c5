"""In-memory read models that keep the same rules as the Mongo ones."""

from datetime import datetime

from reporting.domain.agents import AgentProfile, newest_profile
from reporting.domain.changes import TicketChange, apply_change
from reporting.domain.tickets import TicketRow


class FakeTicketRows:
    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    async def apply(self, change: TicketChange) -> bool:
        self.rows[change.ticket_id], news = apply_change(self.rows.get(change.ticket_id), change)
        return news

    async def get(self, ticket_id: str) -> TicketRow | None:
        row = self.rows.get(ticket_id)
        return TicketRow.model_validate(row) if row is not None else None

    async def list(self, since: datetime | None = None) -> list[TicketRow]:
        rows = [TicketRow.model_validate(row) for row in self.rows.values()]
        if since is None:
            return rows
        return [row for row in rows if row.created_at is not None and row.created_at >= since]


class FakeAgentProfiles:
    def __init__(self) -> None:
        self.profiles: dict[str, AgentProfile] = {}

    async def keep_newest(self, profile: AgentProfile) -> bool:
        kept = newest_profile(self.profiles.get(profile.agent_id), profile)
        self.profiles[profile.agent_id] = kept
        return kept is profile

    async def list(self) -> list[AgentProfile]:
        return list(self.profiles.values())
