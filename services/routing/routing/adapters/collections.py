"""Routing's collections and their indexes."""

from pymongo import ASCENDING, IndexModel

from ticketflow_shared import timers

AGENTS = "agents"
ASSIGNMENTS = "assignments"
TICKETS = "tickets"
QUEUE = "queue"
RESOLUTIONS = "resolutions"
RULES = "routing_rules"
DEPARTMENTS = "departments"
OFFER_OUTCOMES = "offer_outcomes"  # `_id` = offer id: the insert that settles an offer
OFFER_COOLDOWNS = "offer_cooldowns"  # `_id` = ticket id: who declined it, until when
QUEUE_POLICIES = "queue_policies"
DECISIONS = "routing_decisions"
ESCALATIONS = "escalation_steps"  # `_id` = ticket|policy|version|step: a fired step's claim
ESCALATION_TIMERS = "escalation_timers"
SHIFT_TIMERS = "shift_timers"  # `_id` = shift:<agent id>: the agent's next shift start

SLA_TICKETS = "sla_tickets"
SLA_POLICIES = "sla_policies"
SLA_TIMERS = "sla_timers"
SLA_FIRINGS = "sla_firings"

OUTBOX_COLLECTIONS = (
    AGENTS,
    ASSIGNMENTS,
    QUEUE,
    RESOLUTIONS,
    OFFER_OUTCOMES,
    SLA_FIRINGS,
    ESCALATIONS,
)

INDEXES: dict[str, list[IndexModel]] = {
    AGENTS: [IndexModel([("presence", ASCENDING)], name="presence")],
    # The two unique keys are what make a claim safe: one holder per ticket is the `_id` (the
    # ticket id), one ticket per slot this index. Databases from before claims were keyed by
    # ticket also keep a unique `one_holder_per_ticket` index on `ticket_id`: redundant now.
    ASSIGNMENTS: [
        IndexModel(
            [("agent_id", ASCENDING), ("slot", ASCENDING)], unique=True, name="one_ticket_per_slot"
        ),
    ],
    QUEUE: [
        IndexModel(
            [("priority_rank", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)],
            name="service_order",
        ),
        IndexModel(
            [
                ("priority_rank", ASCENDING),
                ("due_rank", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ],
            name="service_order_by_due",
        ),
        IndexModel([("category", ASCENDING)], name="category"),
    ],
    TICKETS: [IndexModel([("routed", ASCENDING), ("received_at", ASCENDING)], name="unrouted")],
    SLA_TIMERS: timers.index_models(),
    SLA_FIRINGS: timers.firings_index_models(),
    ESCALATION_TIMERS: timers.index_models(),
    SHIFT_TIMERS: timers.index_models(),
    ESCALATIONS: [IndexModel([("ticket_id", ASCENDING)], name="ticket")],
}
