"""What callers ask routing to do, independent of how the request arrived."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from routing.domain.agents import PROFILE_FIELDS
from ticketflow_shared.events import Presence


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)


class RegisterAgent(Command):
    """Add an agent; `agent_id` is generated when left out."""

    name: str
    department: str
    skills: Mapping[str, int]
    capacity: int
    presence: Presence
    presence_reason: str | None = None
    agent_id: str | None = None

    def profile(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


class ReviseAgent(Command):
    """Change only the given profile fields of an agent."""

    agent_id: str
    changes: Mapping[str, Any]


class SetRule(Command):
    """Store which skill, at which level, a category needs; `skill` defaults to the category."""

    category: str
    skill: str | None = None
    min_level: int
