"""Escalation steps over waiting time: when each of a queued ticket's steps is due, and what
firing one records and announces. Pure: the caller passes the time and the stored state."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from routing.domain.policies import EscalationStep, QueuePolicy
from routing.domain.sla import ClockState
from routing.domain.sla_ticket import TicketSla
from routing.domain.tickets import RoutingTicket
from ticketflow_shared.events import EscalationTrigger, Priority, TicketEscalatedV1

SERVICE = "routing"  # `source` of routing's own escalations


def timer_key(ticket_id: str, index: int) -> str:
    """One due timer per ticket and step; re-queuing the ticket replaces it."""
    return f"esc:{ticket_id}:{index}"


def claim_key(ticket_id: str, policy: QueuePolicy, index: int) -> str:
    """The unique key a step's firing is claimed under: ticket, policy version, step."""
    return f"{ticket_id}|{policy.key}|v{policy.version}|{index}"


def higher(current: Priority, wanted: Priority | None) -> Priority | None:
    """`wanted` if it is more urgent than `current`, else None: escalations never lower."""
    return wanted if wanted is not None and wanted.rank < current.rank else None


def queued_mark(queued_at: datetime) -> str:
    """When the ticket was queued, to the millisecond the store keeps, as a timer notes it."""
    return queued_at.replace(microsecond=queued_at.microsecond // 1000 * 1000).isoformat()


@dataclass(frozen=True)
class StepTimer:
    key: str
    due: datetime
    data: dict


def timers_for(ticket_id: str, policy: QueuePolicy, queued_at: datetime) -> list[StepTimer]:
    """The due timers of every step of `policy` for a ticket queued at `queued_at`."""
    return [
        StepTimer(
            timer_key(ticket_id, index),
            queued_at + timedelta(seconds=step.after_seconds),
            {
                "ticket": ticket_id,
                "policy": policy.key,
                "version": policy.version,
                "step": index,
                "queued_at": queued_mark(queued_at),
            },
        )
        for index, step in enumerate(policy.steps)
    ]


def actions(step: EscalationStep) -> list[str]:
    """What a step does, as shown on the ticket."""
    done = ["drop_preferred"] if step.drop_preferred else []
    if step.lower_levels_by:
        done.append(f"lower_levels_by:{step.lower_levels_by}")
    if step.overflow_to:
        done.append(f"overflow_to:{step.overflow_to}")
    if step.raise_priority:
        done.append(f"raise_priority:{step.raise_priority.value}")
    if step.page_supervisor:
        done.append("page_supervisor")
    return done


@dataclass(frozen=True)
class StepFired:
    """A step that fired for a ticket: the record routing keeps, the event it owes."""

    key: str
    ticket_id: str
    policy: str
    policy_version: int
    step: int
    after_seconds: int
    actions: list[str]
    due_at: datetime
    fired_at: datetime
    raised_to: Priority | None = None
    overflow_to: str | None = None
    events: list[TicketEscalatedV1] = field(default_factory=list)


def fire(
    ticket: RoutingTicket,
    policy: QueuePolicy,
    queued_at: datetime,
    timer: dict,
    now: datetime,
) -> StepFired | None:
    """The step a timer stands for, if it still applies: the ticket waits since the time the
    timer was set for, under the same policy version. None: the timer is stale."""
    index = timer.get("step")
    if (
        timer.get("policy") != policy.key
        or timer.get("version") != policy.version
        or not isinstance(index, int)
        or not 0 <= index < len(policy.steps)
        or timer.get("queued_at") != queued_mark(queued_at)
    ):
        return None
    step = policy.steps[index]
    due = queued_at + timedelta(seconds=step.after_seconds)
    at = max(now, due)
    raised = higher(ticket.priority, step.raise_priority)
    events = []
    if step.publishes:
        events.append(
            TicketEscalatedV1(
                ticket_id=ticket.ticket_id,
                source=SERVICE,
                trigger=EscalationTrigger.wait,
                reason=f"waited {step.after_seconds} s (policy {policy.key}, step {index})",
                step=index,
                priority=raised,
                page_supervisor=step.page_supervisor,
                overflow_to=step.overflow_to,
                department=ticket.department,
                escalated_at=at,
            )
        )
    return StepFired(
        key=claim_key(ticket.ticket_id, policy, index),
        ticket_id=ticket.ticket_id,
        policy=policy.key,
        policy_version=policy.version,
        step=index,
        after_seconds=step.after_seconds,
        actions=actions(step),
        due_at=due,
        fired_at=at,
        raised_to=raised,
        overflow_to=step.overflow_to,
        events=events,
    )


def sla_due(ticket: TicketSla | None) -> datetime | None:
    """Where the ticket stands in its priority in the queue: its earliest running SLA due time."""
    if ticket is None:
        return None
    running = [c.due_at for c in ticket.clocks.values() if c.state is ClockState.running]
    return min((due for due in running if due is not None), default=None)
