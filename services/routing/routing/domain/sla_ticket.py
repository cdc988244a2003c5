"""A ticket's SLA clocks together: which start, stop, pause and re-target on each event."""

from dataclasses import dataclass, field
from datetime import datetime

from routing.domain.sla import BreachAction, SlaClock, SlaPolicy
from ticketflow_shared.events import (
    AuthorKind,
    EscalationTrigger,
    Priority,
    SlaTarget,
    TicketEscalatedV1,
    TicketStatus,
    Visibility,
)

CLOSED = TicketStatus.closed
SOLVED = TicketStatus.solved


@dataclass
class TicketSla:
    """The clocks of one ticket under the policy version it started with."""

    ticket_id: str
    policy: SlaPolicy
    priority: Priority
    status: TicketStatus = TicketStatus.new
    clocks: dict[str, SlaClock] = field(default_factory=dict)
    replied: bool = False
    cycle: int = 0

    @classmethod
    def open(
        cls,
        ticket_id: str,
        policy: SlaPolicy,
        priority: Priority,
        at: datetime,
        department: str | None = None,
    ) -> "TicketSla":
        ticket = cls(ticket_id=ticket_id, policy=policy, priority=priority)
        for target in (SlaTarget.first_response, SlaTarget.resolution):
            ticket._start(target, at, department=department)
        return ticket

    @property
    def calendar(self):
        return self.policy.calendar

    def running(self, target: SlaTarget) -> SlaClock | None:
        found = [c for c in self.clocks.values() if c.target is target and c.open]
        return max(found, key=lambda c: c.cycle) if found else None

    def latest(self, target: SlaTarget) -> SlaClock | None:
        found = [c for c in self.clocks.values() if c.target is target]
        return max(found, key=lambda c: c.cycle) if found else None

    def message(self, author: AuthorKind, visibility: Visibility, at: datetime) -> None:
        """A public agent reply meets the response targets; a customer message after one
        starts the next response cycle."""
        if author is AuthorKind.agent and visibility is Visibility.public:
            for target in (SlaTarget.first_response, SlaTarget.next_response):
                if clock := self.running(target):
                    clock.meet(self.calendar, at)
            self.replied = True
        elif author is AuthorKind.customer and self._awaits_next_cycle():
            self.cycle += 1
            clock = self._start(SlaTarget.next_response, at, cycle=self.cycle)
            if clock and self.status in self.policy.pause_on:
                clock.pause(self.calendar, at)

    def _awaits_next_cycle(self) -> bool:
        open_cycle = self.running(SlaTarget.next_response)
        return self.replied and open_cycle is None and self.status is not CLOSED

    def change_status(self, status: TicketStatus, at: datetime) -> None:
        previous, self.status = self.status, status
        if status is CLOSED:
            for clock in self.clocks.values():
                clock.stop(self.calendar, at)
            return
        if status is SOLVED:
            for clock in self.clocks.values():
                if clock.target is SlaTarget.resolution:
                    clock.meet(self.calendar, at)
                else:
                    clock.stop(self.calendar, at)
            return
        if previous is SOLVED and (clock := self.latest(SlaTarget.resolution)):
            clock.restart(self.calendar, at)
        paused = status in self.policy.pause_on
        for clock in self.clocks.values():
            if paused:
                clock.pause(self.calendar, at)
            else:
                clock.resume(self.calendar, at)

    def change_priority(self, priority: Priority, at: datetime) -> None:
        """Running clocks take the new priority's targets; a target it lacks keeps its own."""
        self.priority = priority
        for clock in self.clocks.values():
            seconds = self.policy.target(priority, clock.target)
            if seconds is not None:
                clock.retarget(self.calendar, priority, seconds, at)

    def breach(self, clock: SlaClock, at: datetime) -> bool:
        """Record `clock`'s breach and, when the policy raises or pages, the escalation."""
        if not clock.breach(at):
            return False
        actions = set(self.policy.on_breach)
        raised = BreachAction.raise_priority in actions
        page = BreachAction.page_supervisor in actions
        if raised or page:
            priority = self.policy.raised(self.priority) if raised else None
            clock.events.append(
                TicketEscalatedV1(
                    ticket_id=self.ticket_id,
                    source="routing",
                    trigger=EscalationTrigger.sla,
                    reason=f"SLA {clock.target.value} breached (policy {self.policy.name})",
                    priority=priority,
                    page_supervisor=page,
                    department=clock.department,
                    agent_id=clock.agent_id,
                    escalated_at=at,
                )
            )
        return True

    def _start(self, target: SlaTarget, at: datetime, **kwargs) -> SlaClock | None:
        clock = SlaClock.start(self.ticket_id, target, self.policy, self.priority, at, **kwargs)
        if clock is not None:
            self.clocks[clock.key] = clock
        return clock
