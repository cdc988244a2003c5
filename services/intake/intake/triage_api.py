"""Thin HTTP routes for triage rules."""

from fastapi import APIRouter

from intake.domain.triage_eval import TicketFacts, evaluate
from intake.handlers import now_ms
from intake.triage_schemas import TriageDryRun, TriageResult
from ticketflow_shared.access.guard import Admin

triage_router = APIRouter(prefix="/triage", tags=["triage"])


@triage_router.post("/test", summary="Dry-run a ticket against the given rules")
async def dry_run(body: TriageDryRun, _: Admin) -> TriageResult:
    ticket = body.ticket
    at = ticket.at or now_ms()
    facts = TicketFacts(
        ticket.channel, ticket.subject, ticket.body, at, ticket.customer_tier, ticket.fields
    )
    out = evaluate(body.rules, facts)
    return TriageResult(
        category=out.category,
        priority=out.priority,
        department=out.department,
        tags=out.tags,
        fired=out.fired,
        skipped=out.skipped,
    )
