"""Reporting's HTTP surface: JSON reports under /reports and the HTML dashboard at /."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError

from reporting import handlers
from reporting.dashboard import render_dashboard
from reporting.domain.agents import AgentReport
from reporting.domain.summary import Summary
from reporting.domain.ticket_view import TicketView
from reporting.domain.tickets import as_utc
from reporting.settings import ReportingSettings
from ticketflow_shared.access.guard import Staff, TicketReader


def ticket_rows(request: Request) -> handlers.TicketRows:
    return request.app.state.read_models.tickets


def agent_profiles(request: Request) -> handlers.AgentProfiles:
    return request.app.state.read_models.agents


def settings(request: Request) -> ReportingSettings:
    return request.app.state.settings


def _in_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a time whose UTC date falls outside years 1-9999 is refused."""
    try:
        return as_utc(moment)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "Input should be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC",
        ) from None


TicketRowsDep = Annotated[handlers.TicketRows, Depends(ticket_rows)]
AgentProfilesDep = Annotated[handlers.AgentProfiles, Depends(agent_profiles)]
SettingsDep = Annotated[ReportingSettings, Depends(settings)]
Since = Annotated[
    Annotated[datetime, AfterValidator(_in_utc)] | None,
    Query(description="Only tickets created at or after this ISO 8601 time (UTC if no offset)"),
]


class AgentList(BaseModel):
    data: list[AgentReport]
    count: int


reports = APIRouter(prefix="/reports", tags=["reports"])
pages = APIRouter(tags=["dashboard"])


@reports.get("/summary", summary="Ticket counts and timings")
async def get_summary(tickets: TicketRowsDep, caller: Staff, since: Since = None) -> Summary:
    return await handlers.summary(tickets, since=since, scope=caller.scope())


@reports.get("/agents", summary="Each agent's presence, capacity and workload")
async def get_agents(tickets: TicketRowsDep, agents: AgentProfilesDep, caller: Staff) -> AgentList:
    data = await handlers.agents_report(tickets, agents, caller.scope())
    return AgentList(data=data, count=len(data))


@reports.get(
    "/tickets/{ticket_id}",
    summary="One ticket's read-model row",
    responses={404: {"description": "No event about this ticket has arrived"}},
)
async def get_ticket(ticket_id: str, tickets: TicketRowsDep, caller: TicketReader) -> TicketView:
    view = await handlers.ticket_view(tickets, ticket_id, caller.scope())
    if view is None:
        raise HTTPException(status_code=404, detail=f"no ticket {ticket_id!r} in the read model")
    return view


@pages.get("/", response_class=HTMLResponse, summary="The dashboard")
async def dashboard(
    tickets: TicketRowsDep,
    agents: AgentProfilesDep,
    config: SettingsDep,
    caller: Staff,
    since: Since = None,
) -> HTMLResponse:
    scope = caller.scope()
    summary = await handlers.summary(tickets, since=since, scope=scope)
    agent_lines = await handlers.agents_report(tickets, agents, scope)
    html = render_dashboard(summary, agent_lines, config.dashboard_refresh_seconds)
    return HTMLResponse(html)
