"""Queries over routing's facts on the ticket rows: SLA compliance, escalations, offers."""

from datetime import datetime

from pydantic import BaseModel

from reporting.domain.escalations import EscalationReport, escalation_report
from reporting.domain.offers import OfferReport, offer_report
from reporting.domain.sla import SlaReport, sla_report
from reporting.domain.tickets import as_utc
from reporting.handlers import EVERYTHING, TicketRows, visible
from ticketflow_shared.access.principal import Scope


class RoutingKpis(BaseModel):
    sla: SlaReport
    escalations: EscalationReport
    offers: OfferReport


async def routing_kpis(
    tickets: TicketRows, *, since: datetime | None = None, scope: Scope = EVERYTHING
) -> RoutingKpis:
    """The three reports over the tickets `scope` sees (created since `since`), each line of
    a department the caller does not see left out."""
    rows = visible(await tickets.list(as_utc(since) if since else None), scope)
    sla, escalations, offers = sla_report(rows), escalation_report(rows), offer_report(rows)
    allowed = scope.allows_department
    sla = sla.model_copy(
        update={"by_department": [c for c in sla.by_department if allowed(c.department)]}
    )
    escalations = escalations.model_copy(
        update={"by_department": [c for c in escalations.by_department if allowed(c.department)]}
    )
    offers = offers.model_copy(
        update={
            "by_agent": [s for s in offers.by_agent if allowed(s.department)],
            "by_department": [s for s in offers.by_department if allowed(s.department)],
        }
    )
    return RoutingKpis(sla=sla, escalations=escalations, offers=offers)
