"""The templates of routing's escalation and SLA events: the pages to a department's paging
addresses (on), and what the customer would be told (off until an operator switches it on)."""

from datetime import UTC, datetime

from notify.domain.paging import PAGE_ESCALATED, PAGE_SLA_BREACHED
from notify.domain.templates import Template
from ticketflow_shared.events import (
    EscalationTrigger,
    Payload,
    Priority,
    SlaBreachedV1,
    SlaTarget,
    SlaWarningV1,
    TicketEscalatedV1,
)

CUSTOMER_TEMPLATES = (
    TicketEscalatedV1.event_type,
    SlaWarningV1.event_type,
    SlaBreachedV1.event_type,
)

_PAGE_FOOTER = "\n-- \nticketflow paging (internal: never forward to the customer)\n"

TEMPLATES = (
    Template(
        event_type=PAGE_ESCALATED,
        subject="[{{ ticket.reference }}] Escalated ({{ event.trigger }}): {{ ticket.subject }}",
        body=(
            "{{ ticket.reference }} ({{ ticket.category }}) was escalated by "
            "{{ event.source }}: {{ event.reason }}.\n"
            "{% if event.priority %}Priority now: {{ event.priority }}.\n{% endif %}"
            "{% if event.overflow_to %}Moved to: {{ event.overflow_to }}.\n{% endif %}"
            "{% if event.agent_id %}Agent: {{ event.agent_id }}.\n{% endif %}" + _PAGE_FOOTER
        ),
    ),
    Template(
        event_type=PAGE_SLA_BREACHED,
        subject="[{{ ticket.reference }}] SLA breached ({{ event.target }}): {{ ticket.subject }}",
        body=(
            "The {{ event.target }} target of {{ ticket.reference }} ({{ event.policy }}, "
            "{{ event.priority }} priority) was due at {{ event.due_at }} and is not met.\n"
            "{% if event.agent_id %}Agent: {{ event.agent_id }}.\n{% endif %}" + _PAGE_FOOTER
        ),
    ),
    Template(
        event_type=TicketEscalatedV1.event_type,
        subject="Your request [{{ ticket.reference }}] gets extra attention",
        body=(
            "Hello {{ customer.name or 'there' }},\n\n"
            'we passed your request "{{ ticket.subject }}" ({{ ticket.reference }}) to a '
            "senior member of our team.\n\nticketflow support\n"
        ),
        enabled=False,
    ),
    Template(
        event_type=SlaWarningV1.event_type,
        subject="We are on your request [{{ ticket.reference }}]",
        body=(
            "Hello {{ customer.name or 'there' }},\n\n"
            'your request "{{ ticket.subject }}" ({{ ticket.reference }}) is still with us; '
            "we will be back to you soon.\n\nticketflow support\n"
        ),
        enabled=False,
    ),
    Template(
        event_type=SlaBreachedV1.event_type,
        subject="Sorry for the wait [{{ ticket.reference }}]",
        body=(
            "Hello {{ customer.name or 'there' }},\n\n"
            'your request "{{ ticket.subject }}" ({{ ticket.reference }}) is taking longer '
            "than we promised; we are sorry, and on it.\n\nticketflow support\n"
        ),
        enabled=False,
    ),
)


def sample_events(ticket_id: str) -> dict[str, Payload]:
    """The event each template is checked against before an edit is stored."""
    at = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    escalated = TicketEscalatedV1(
        ticket_id=ticket_id,
        source="routing",
        trigger=EscalationTrigger.wait,
        reason="waited 30 minutes in the queue",
        step=1,
        priority=Priority.urgent,
        page_supervisor=True,
        department="billing",
        escalated_at=at,
    )
    sla = {
        "ticket_id": ticket_id,
        "target": SlaTarget.first_response,
        "policy": "standard",
        "policy_version": 1,
        "priority": Priority.high,
        "department": "billing",
        "agent_id": "ana",
        "target_seconds": 3600.0,
        "due_at": at,
        "at": at,
    }
    breached = SlaBreachedV1(**sla)
    return {
        PAGE_ESCALATED: escalated,
        PAGE_SLA_BREACHED: breached,
        TicketEscalatedV1.event_type: escalated,
        SlaWarningV1.event_type: SlaWarningV1(**sla, share=0.75),
        SlaBreachedV1.event_type: breached,
    }
