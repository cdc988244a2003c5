"""JSON reports of routing's engine: SLA compliance, escalations, offer acceptance."""

from fastapi import APIRouter

from reporting.api import Since, TicketRowsDep
from reporting.domain.escalations import EscalationReport
from reporting.domain.offers import OfferReport
from reporting.domain.sla import SlaReport
from reporting.routing_reports import RoutingKpis, routing_kpis
from ticketflow_shared.access.guard import Staff

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/routing", summary="SLA compliance, escalations and offers together")
async def get_routing(tickets: TicketRowsDep, caller: Staff, since: Since = None) -> RoutingKpis:
    return await routing_kpis(tickets, since=since, scope=caller.scope())


@router.get("/sla", summary="Per SLA target: met, breached, at risk and compliance")
async def get_sla(tickets: TicketRowsDep, caller: Staff, since: Since = None) -> SlaReport:
    return (await routing_kpis(tickets, since=since, scope=caller.scope())).sla


@router.get("/escalations", summary="Escalations per trigger and department; escalated tickets")
async def get_escalations(
    tickets: TicketRowsDep, caller: Staff, since: Since = None
) -> EscalationReport:
    return (await routing_kpis(tickets, since=since, scope=caller.scope())).escalations


@router.get("/offers", summary="Offers per agent and department: outcomes, acceptance")
async def get_offers(tickets: TicketRowsDep, caller: Staff, since: Since = None) -> OfferReport:
    return (await routing_kpis(tickets, since=since, scope=caller.scope())).offers
