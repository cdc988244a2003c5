"""HTTP API for the parts of an agent that routing alone reads: their weekly shift (in their
own time zone, with public holidays) and the languages they answer in."""

from datetime import date, datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

from routing import assigning, permissions, views
from routing.api import AgentIdPath, StoresDep
from routing.domain.calendars import DAYS, Calendar, CalendarError
from routing.ports import Stores
from ticketflow_shared.access.guard import Staff
from ticketflow_shared.access.principal import Principal

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Hours = Annotated[str, StringConstraints(strip_whitespace=True, max_length=11)]
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$"  # "en", "zh", "pt-BR"
Language = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=LANGUAGE_PATTERN)
]

router = APIRouter(tags=["agents"])


class ShiftPut(BaseModel):
    """A weekly shift: `hours` per day as `HH:MM-HH:MM` (one past midnight runs into the next
    day); closed on `country`'s public holidays and on `closed_dates`."""

    model_config = ConfigDict(extra="forbid")

    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    hours: dict[Day, Annotated[list[Hours], Field(max_length=6)]]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    closed_dates: Annotated[list[date], Field(max_length=366)] = Field(default_factory=list)
    _calendar: Calendar = PrivateAttr()

    @model_validator(mode="after")
    def _usable(self) -> Self:
        try:
            self._calendar = Calendar.weekly(
                self.timezone, self.hours, country=self.country, closed_dates=self.closed_dates
            )
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return self

    def calendar(self) -> Calendar:
        return self._calendar


class ShiftRead(BaseModel):
    agent_id: str
    shift: dict | None = Field(description="The weekly shift; null: always on shift")
    on_shift: bool
    changes_at: datetime | None = Field(description="When on_shift next flips; null: never")


class LanguagesPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: Annotated[list[Language], Field(max_length=20)]


class LanguagesRead(BaseModel):
    agent_id: str
    languages: list[str]


def _shift_read(agent_id: str, calendar: Calendar | None, now: datetime) -> ShiftRead:
    if calendar is None:
        return ShiftRead(agent_id=agent_id, shift=None, on_shift=True, changes_at=None)
    spec = {
        "timezone": calendar.timezone,
        "hours": {day: calendar.hours()[day] for day in DAYS if day in calendar.hours()},
        "country": calendar.country,
        "closed_dates": sorted(calendar.closed_dates),
    }
    open_, until = calendar.window(now)
    return ShiftRead(agent_id=agent_id, shift=spec, on_shift=open_, changes_at=until)


async def _editable(agent_id: str, caller: Principal, stores: Stores, field: str) -> None:
    agent = await views.visible_agent(agent_id, stores, caller.id, caller.scope())
    permissions.check_revision(caller, agent.agent_id, agent.department, {field}, None)


@router.get("/agents/{agent_id}/shift")
async def get_shift(agent_id: AgentIdPath, stores: StoresDep, caller: Staff) -> ShiftRead:
    agent = await views.visible_agent(agent_id, stores, caller.id, caller.scope())
    return _shift_read(agent_id, agent.shift, stores.now())


@router.put(
    "/agents/{agent_id}/shift",
    summary="Set an agent's weekly shift (admins; supervisors their departments')",
)
async def put_shift(
    agent_id: AgentIdPath, body: ShiftPut, stores: StoresDep, caller: Staff
) -> ShiftRead:
    await _editable(agent_id, caller, stores, "shift")
    await stores.agents.set_extras(agent_id, shift=body.calendar())
    if stores.shift_starts is not None:
        await stores.shift_starts.arm(agent_id, body.calendar())
    await assigning.drain(agent_id, stores)  # on shift now: the backlog it can take
    return _shift_read(agent_id, body.calendar(), stores.now())


@router.delete(
    "/agents/{agent_id}/shift",
    status_code=status.HTTP_200_OK,
    summary="Remove an agent's shift: always on shift",
)
async def delete_shift(agent_id: AgentIdPath, stores: StoresDep, caller: Staff) -> ShiftRead:
    await _editable(agent_id, caller, stores, "shift")
    await stores.agents.set_extras(agent_id, clear_shift=True)
    if stores.shift_starts is not None:
        await stores.shift_starts.arm(agent_id, None)
    await assigning.drain(agent_id, stores)
    return _shift_read(agent_id, None, stores.now())


@router.get("/agents/{agent_id}/languages")
async def get_languages(agent_id: AgentIdPath, stores: StoresDep, caller: Staff) -> LanguagesRead:
    agent = await views.visible_agent(agent_id, stores, caller.id, caller.scope())
    return LanguagesRead(agent_id=agent_id, languages=list(agent.languages))


@router.put(
    "/agents/{agent_id}/languages",
    summary="Set the languages an agent answers in (admins; supervisors their departments')",
)
async def put_languages(
    agent_id: AgentIdPath, body: LanguagesPut, stores: StoresDep, caller: Staff
) -> LanguagesRead:
    await _editable(agent_id, caller, stores, "languages")
    languages = sorted(set(body.languages))
    await stores.agents.set_extras(agent_id, languages=languages)
    await assigning.drain(agent_id, stores)
    return LanguagesRead(agent_id=agent_id, languages=languages)
