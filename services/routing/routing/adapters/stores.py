"""Routing's stores on one Mongo database, publishing through the runtime's outbox relay."""

from routing.adapters import collections as names
from routing.adapters.absent import KnownAbsent
from routing.adapters.agents import MongoAgents
from routing.adapters.assignments import MongoAssignments
from routing.adapters.decisions import MongoDecisions
from routing.adapters.departments import MongoDepartments
from routing.adapters.offers import MongoOffers
from routing.adapters.policies import MongoPolicies
from routing.adapters.queue import MongoQueue
from routing.adapters.resolutions import MongoResolutions
from routing.adapters.rules import MongoRules
from routing.adapters.tickets import MongoTickets
from routing.adapters.watched import AgentWrites
from routing.ports import Stores
from ticketflow_shared.runtime import Runtime


def mongo_stores(runtime: Runtime, unclocked: KnownAbsent | None = None) -> Stores:
    """`unclocked`: the SLA store's tickets known without a document, which a new ticket's
    record joins (its SLA document, if any, is written after it)."""
    db, publish = runtime.db, runtime.publish_outbox
    unresolved, unqueued, uncooled = KnownAbsent(), KnownAbsent(), KnownAbsent()
    new_tickets = (unresolved, unqueued, uncooled, *((unclocked,) if unclocked else ()))
    agent_writes = AgentWrites(db[names.AGENTS])
    claims = agent_writes.watched(db[names.ASSIGNMENTS])
    return Stores(
        agents=MongoAgents(agent_writes.watched(db[names.AGENTS]), publish),
        assignments=MongoAssignments(claims, publish),
        tickets=MongoTickets(db[names.TICKETS], new_tickets),
        queue=MongoQueue(db[names.QUEUE], publish, unqueued),
        resolutions=MongoResolutions(db[names.RESOLUTIONS], publish, unresolved),
        rules=MongoRules(db[names.RULES]),
        departments=MongoDepartments(db[names.DEPARTMENTS]),
        offers=MongoOffers(
            claims, db[names.OFFER_OUTCOMES], db[names.OFFER_COOLDOWNS], publish, uncooled
        ),
        clock=runtime.clock,
        policies=MongoPolicies(db[names.QUEUE_POLICIES]),
        decisions=MongoDecisions(db[names.DECISIONS]),
        agent_writes=agent_writes,
    )
