"""SLA documents: one per ticket, its clocks and the policy version it started under."""

from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from routing.adapters.absent import KnownAbsent
from routing.domain.calendars import Calendar
from routing.domain.sla import BreachAction, ClockState, SlaClock, SlaPolicy
from routing.domain.sla_ticket import TicketSla
from ticketflow_shared.events import Priority, SlaTarget, TicketStatus
from ticketflow_shared.refreshed import RefreshedCopy
from ticketflow_shared.serialized import lone_on_ferretdb

POLICIES_REFRESH_SECONDS = 2.0

CLOCK_FIELDS = (
    "ticket_id", "cycle", "policy", "policy_version", "target_seconds", "started_at",
    "warn_share", "used", "run_from", "due_at", "warn_due_at", "warned", "breached",
    "finished_at", "department", "agent_id",
)  # fmt: skip


def calendar_doc(calendar: Calendar) -> dict[str, Any]:
    if calendar.always:
        return {"always": True}
    return {
        "timezone": calendar.timezone,
        "hours": calendar.hours(),
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        "closed_dates": sorted(d.isoformat() for d in calendar.closed_dates),
    }


def calendar_from(doc: dict[str, Any]) -> Calendar:
    if doc.get("always"):
        return Calendar.always_open()
    return Calendar.weekly(
        doc["timezone"],
        doc["hours"],
        country=doc.get("country"),
        subdivision=doc.get("subdivision"),
        closed_dates=[date.fromisoformat(d) for d in doc.get("closed_dates", [])],
    )


def policy_doc(policy: SlaPolicy) -> dict[str, Any]:
    targets = policy.targets.items()
    return {
        "name": policy.name,
        "version": policy.version,
        "rank": policy.rank,
        "category": policy.category,
        "department": policy.department,
        "customer_tier": policy.customer_tier,
        "targets": {p.value: {t.value: s for t, s in ts.items()} for p, ts in targets},
        "calendar": calendar_doc(policy.calendar),
        "pause_on": sorted(s.value for s in policy.pause_on),
        "warn_at": policy.warn_at,
        "on_breach": [a.value for a in policy.on_breach],
        "raise_to": policy.raise_to.value if policy.raise_to else None,
    }


def policy_from(doc: dict[str, Any]) -> SlaPolicy:
    targets = doc["targets"].items()
    return SlaPolicy(
        name=doc["name"],
        version=doc["version"],
        rank=doc["rank"],
        category=doc.get("category"),
        department=doc.get("department"),
        customer_tier=doc.get("customer_tier"),
        targets={Priority(p): {SlaTarget(t): s for t, s in ts.items()} for p, ts in targets},
        calendar=calendar_from(doc["calendar"]),
        pause_on=frozenset(TicketStatus(s) for s in doc["pause_on"]),
        warn_at=doc["warn_at"],
        on_breach=tuple(BreachAction(a) for a in doc["on_breach"]),
        raise_to=Priority(doc["raise_to"]) if doc.get("raise_to") else None,
    )


def clock_doc(clock: SlaClock) -> dict[str, Any]:
    doc = {name: getattr(clock, name) for name in CLOCK_FIELDS}
    doc.update(target=clock.target.value, priority=clock.priority.value, state=clock.state.value)
    return doc


def clock_from(doc: dict[str, Any]) -> SlaClock:
    fields = {name: doc.get(name) for name in CLOCK_FIELDS}
    return SlaClock(
        target=SlaTarget(doc["target"]),
        priority=Priority(doc["priority"]),
        state=ClockState(doc["state"]),
        **fields,
    )


def ticket_doc(ticket: TicketSla) -> dict[str, Any]:
    return {
        "policy": policy_doc(ticket.policy),
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "replied": ticket.replied,
        "cycle": ticket.cycle,
        "clocks": [clock_doc(c) for c in ticket.clocks.values()],
    }


def ticket_from(doc: dict[str, Any]) -> TicketSla:
    clocks = [clock_from(c) for c in doc["clocks"]]
    return TicketSla(
        ticket_id=doc["_id"],
        policy=policy_from(doc["policy"]),
        priority=Priority(doc["priority"]),
        status=TicketStatus(doc["status"]),
        clocks={c.key: c for c in clocks},
        replied=doc["replied"],
        cycle=doc["cycle"],
    )


class SlaStore:
    """Ticket SLA documents, written whole under a version, with the applied sequences."""

    def __init__(
        self,
        tickets: AsyncCollection,
        policies: AsyncCollection,
        refresh_seconds: float = POLICIES_REFRESH_SECONDS,
        unclocked: KnownAbsent | None = None,
    ) -> None:
        self.tickets, self.policies = tickets, policies
        self.policy_copy = RefreshedCopy(self.policy_list, refresh_seconds)
        # Tickets without a document (no policy covered them when created), as a process
        # alone on FerretDB knows them: only `save` at version 0 ever inserts one.
        self.unclocked = unclocked or KnownAbsent()

    async def policy_list(self) -> list[SlaPolicy]:
        return [policy_from(doc) async for doc in self.policies.find({}).sort("_id", 1)]

    async def policies_in_force(self) -> list[SlaPolicy]:
        """As `policy_list`, from a copy (`RefreshedCopy`): this process's writes show at
        once, another's within `POLICIES_REFRESH_SECONDS`."""
        return await self.policy_copy.current()

    async def get(self, ticket_id: str) -> tuple[TicketSla, int, dict[str, int]] | None:
        lone = lone_on_ferretdb(self.tickets)
        if lone and ticket_id in self.unclocked:
            return None
        since = self.unclocked.mark(ticket_id)
        doc = await self.tickets.find_one({"_id": ticket_id})
        if doc is None:
            if lone:
                self.unclocked.note(ticket_id, since)
            return None
        return ticket_from(doc), doc["version"], doc.get("applied") or {}

    async def save(self, ticket: TicketSla, version: int, applied: dict[str, int]) -> bool:
        """Insert at version 0, else replace if still at `version`; False when it moved."""
        doc = {**ticket_doc(ticket), "version": version + 1, "applied": applied}
        if version == 0:
            try:
                with self.unclocked.writing(ticket.ticket_id):
                    await self.tickets.insert_one({"_id": ticket.ticket_id, **doc})
            except DuplicateKeyError:
                return False
            return True
        result = await self.tickets.replace_one({"_id": ticket.ticket_id, "version": version}, doc)
        return result.matched_count == 1

    async def mark(self, ticket_id: str, clock_key: str, field: str) -> None:
        """Flag a clock's warning or breach as sent (after its firing was claimed)."""
        found = await self.get(ticket_id)
        if found is None:
            return
        ticket, version, applied = found
        clock = ticket.clocks.get(clock_key)
        if clock is not None and not getattr(clock, field):
            setattr(clock, field, True)
            await self.save(ticket, version, applied)

    async def put_policy(self, policy: SlaPolicy) -> None:
        await self.policies.replace_one({"_id": policy.name}, policy_doc(policy), upsert=True)
        self.policy_copy.forget()

    async def policy(self, name: str) -> SlaPolicy | None:
        doc = await self.policies.find_one({"_id": name})
        return policy_from(doc) if doc else None

    async def delete_policy(self, name: str) -> bool:
        deleted = (await self.policies.delete_one({"_id": name})).deleted_count == 1
        self.policy_copy.forget()
        return deleted
