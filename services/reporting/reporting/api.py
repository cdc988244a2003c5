"""Reporting's HTTP surface: JSON reports under /reports and the HTML dashboard at /."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from reporting import handlers
from reporting.dashboard import render_dashboard
from reporting.domain.agents import AgentReport
from reporting.domain.summary import Summary
from reporting.domain.ticket_view import TicketView
from reporting.routing_reports import routing_kpis
from reporting.settings import ReportingSettings
from ticketflow_shared.access.guard import Staff, TicketReader
from ticketflow_shared.time_params import UtcTime


def ticket_rows(request: Request) -> handlers.TicketRows:
    return request.app.state.read_models.tickets


def agent_profiles(request: Request) -> handlers.AgentProfiles:
    return request.app.state.read_models.agents


def settings(request: Request) -> ReportingSettings:
    return request.app.state.settings


TicketRowsDep = Annotated[handlers.TicketRows, Depends(ticket_rows)]
AgentProfilesDep = Annotated[handlers.AgentProfiles, Depends(agent_profiles)]
SettingsDep = Annotated[ReportingSettings, Depends(settings)]
Since = Annotated[
    UtcTime | None,
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
    routing = await routing_kpis(tickets, since=since, scope=scope)
    html = render_dashboard(summary, agent_lines, config.dashboard_refresh_seconds, routing)
    return HTMLResponse(html)
