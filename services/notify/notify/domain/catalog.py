"""Which templates there are: those notify ships with (seeded into the store, where operators
edit them), and the sample event each is checked against before an edit is stored.
"""

from datetime import UTC, datetime

from notify.domain import catalog_escalations
from notify.domain.notices import JOINED, REPLY, STATUS_PREFIX, status_template
from notify.domain.templates import Template, TemplateInvalid, render, template_context
from notify.domain.tickets import TicketView
from ticketflow_shared.errors import NotFound
from ticketflow_shared.events import (
    ArticleSuggestion,
    AuthorKind,
    Channel,
    Customer,
    Payload,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketMessageAddedV1,
    TicketResolvedV1,
    TicketStatus,
    TicketStatusChangedV1,
    Visibility,
)


class UnknownTemplate(NotFound, LookupError):
    """No notification has this name (e.g. an event type notify does not announce)."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"no template for {event_type!r}; known: {', '.join(DEFAULT_TEMPLATES)}")
        self.event_type = event_type


def _status(status: TicketStatus, *, subject: str, says: str, enabled: bool = True) -> Template:
    name = status_template(status)
    assert name is not None, f"{status} is never announced"
    body = (
        "Hello {{ customer.name or 'there' }},\n\n"
        'about your request "{{ ticket.subject }}" ({{ ticket.reference }}): '
        f"{says}\n\nticketflow support\n"
    )
    return Template(event_type=name, subject=subject, body=body, enabled=enabled)


# Status changes have their templates off by default, except `pending`: an operator switches
# them on (and edits them) as data.
DEFAULT_TEMPLATES: dict[str, Template] = {
    t.event_type: t
    for t in (
        Template(
            event_type=TicketCreatedV1.event_type,
            subject="We received your request [{{ ticket.reference }}]: {{ ticket.subject }}",
            body=(
                "Hello {{ customer.name or 'there' }},\n\n"
                'we received your request "{{ ticket.subject }}" and filed it as '
                "{{ ticket.reference }} ({{ ticket.category }}).\n"
                "An agent will pick it up shortly; reply to this email to add details.\n"
                "{% if event.suggestions %}\nThese articles may already answer it:\n"
                "{% for article in event.suggestions %}"
                "- {{ article.title }}{% if article.url %}\n  {{ article.url }}{% endif %}\n"
                "{% endfor %}"
                "{% if event.suggestions[0].url %}If one of them solves your problem, open it "
                'and choose "This solved my problem": we will close your request.\n'
                "{% endif %}{% endif %}\n"
                "ticketflow support\n"
            ),
        ),
        Template(
            event_type=TicketAssignedV1.event_type,
            subject=(
                "Your request [{{ ticket.reference }}] is now with "
                "{{ event.agent_name }} ({{ event.department }})"
            ),
            body=(
                "Hello {{ customer.name or 'there' }},\n\n"
                "{{ event.agent_name }} from our {{ event.department }} team is now handling "
                'your request "{{ ticket.subject }}" ({{ ticket.reference }}).\n\n'
                "ticketflow support\n"
            ),
        ),
        Template(
            event_type=TicketResolvedV1.event_type,
            subject="Your request [{{ ticket.reference }}] has been resolved",
            body=(
                "Hello {{ customer.name or 'there' }},\n\n"
                'your request "{{ ticket.subject }}" ({{ ticket.reference }}) has been resolved.\n'
                "{% if event.resolution %}\nResolution: {{ event.resolution }}\n{% endif %}\n"
                "If something is still wrong, just reply to this email.\n\n"
                "ticketflow support\n"
            ),
        ),
        Template(
            event_type=REPLY,
            subject="[{{ ticket.reference }}] Re: {{ ticket.subject }}",
            body=(
                "{{ event.body }}\n\n-- \n"
                "{% if event.author_name %}{{ event.author_name }}, {% endif %}ticketflow support\n"
                "Reply to this email to answer ({{ ticket.reference }}).\n"
            ),
        ),
        Template(
            event_type=JOINED,
            subject="We added your message to [{{ ticket.reference }}]: {{ ticket.subject }}",
            body=(
                "Hello {{ customer.name or 'there' }},\n\n"
                'your request is about the same problem as "{{ ticket.subject }}", which we '
                "are already working on, so we added your message to {{ ticket.reference }} "
                "instead of opening a new request.\n"
                "Reply to this email to add details ({{ ticket.reference }}).\n\n"
                "ticketflow support\n"
            ),
        ),
        _status(
            TicketStatus.pending,
            subject="We need something from you [{{ ticket.reference }}]: {{ ticket.subject }}",
            says=(
                "to go on with your request we need something from you: please see our last "
                "message and reply to this email."
            ),
        ),
        _status(
            TicketStatus.on_hold,
            subject="Your request [{{ ticket.reference }}] is waiting on a third party",
            says="we are waiting on a third party for your request; we will be back to you.",
            enabled=False,
        ),
        _status(
            TicketStatus.open,
            subject="Your request [{{ ticket.reference }}] is being worked on",
            says=(
                "{% if event.reopened %}we reopened your request{% else %}we are working on "
                "your request again{% endif %}; an agent will be back to you."
            ),
            enabled=False,
        ),
        _status(
            TicketStatus.closed,
            subject="Your request [{{ ticket.reference }}] is closed",
            says="your request is closed. A reply to this email opens a new request.",
            enabled=False,
        ),
        *catalog_escalations.TEMPLATES,
    )
}
# Templates an operator may switch off (and on): status changes and the escalation events'.
SWITCHABLE = frozenset(catalog_escalations.CUSTOMER_TEMPLATES)


def check(template: Template) -> None:
    """Raise TemplateInvalid unless both fields parse and render against a sample ticket."""
    if template.event_type not in DEFAULT_TEMPLATES:
        raise UnknownTemplate(template.event_type)
    switchable = template.event_type.startswith(STATUS_PREFIX) or template.event_type in SWITCHABLE
    if not template.enabled and not switchable:
        raise TemplateInvalid(
            "enabled", "only status templates and escalation/SLA ones can be switched off"
        )
    rendered = render(template, SAMPLE_CONTEXTS[template.event_type])
    if not rendered.subject:
        raise TemplateInvalid("subject", "renders to an empty subject")


_SAMPLE_TICKET = TicketView(
    ticket_id="TF-1042",
    customer_email="jane@example.com",
    customer_name="Jane Doe",
    subject="Invoice charged twice",
    category="billing",
)
_SAMPLE_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
_SAMPLE_EVENTS: dict[str, Payload] = {
    TicketCreatedV1.event_type: TicketCreatedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        channel=Channel.web,
        customer=Customer(email=_SAMPLE_TICKET.customer_email, name=_SAMPLE_TICKET.customer_name),
        subject=_SAMPLE_TICKET.subject,
        body="I was charged twice for my January invoice.",
        category=_SAMPLE_TICKET.category,
        priority=Priority.high,
        created_at=_SAMPLE_TIME,
        suggestions=[
            ArticleSuggestion(
                article_id="kb-refunds",
                title="Refunds for a double charge",
                url="https://support.example.com/help?t=s1.sample",
            )
        ],
    ),
    TicketAssignedV1.event_type: TicketAssignedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        agent_id="ana",
        agent_name="Ana Lopez",
        department="billing",
        skill="billing",
        skill_level=9,
        assigned_at=_SAMPLE_TIME,
    ),
    TicketResolvedV1.event_type: TicketResolvedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        agent_id="ana",
        resolution="Refunded the duplicate charge.",
        resolved_at=_SAMPLE_TIME,
    ),
    REPLY: TicketMessageAddedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        message_id="M-0123456789abcdef01234567",
        author="user:ana",
        author_kind=AuthorKind.agent,
        author_name="Ana Lopez",
        visibility=Visibility.public,
        body="We refunded the second charge; it shows within 3 days.",
        department="billing",
        agent_id="ana",
        added_at=_SAMPLE_TIME,
    ),
    JOINED: TicketMessageAddedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        message_id="M-0123456789abcdef01234568",
        author="key:web-form",
        author_kind=AuthorKind.customer,
        author_name=_SAMPLE_TICKET.customer_name,
        visibility=Visibility.public,
        body="Invoice 2025-01 charged twice\n\nI still see two charges for January.",
        department="billing",
        added_at=_SAMPLE_TIME,
        joined="duplicate",
    ),
}


def _status_change(status: TicketStatus, previous: TicketStatus) -> TicketStatusChangedV1:
    return TicketStatusChangedV1(
        ticket_id=_SAMPLE_TICKET.ticket_id,
        status=status,
        previous=previous,
        actor="user:ana",
        reason="Waiting for the bank statement.",
        agent_id="ana",
        department="billing",
        changed_at=_SAMPLE_TIME,
    )


for _change in (
    _status_change(TicketStatus.pending, TicketStatus.open),
    _status_change(TicketStatus.on_hold, TicketStatus.open),
    _status_change(TicketStatus.open, TicketStatus.pending),
    _status_change(TicketStatus.closed, TicketStatus.solved),
):
    _SAMPLE_EVENTS[str(status_template(_change.status))] = _change
_SAMPLE_EVENTS.update(catalog_escalations.sample_events(_SAMPLE_TICKET.ticket_id))
SAMPLE_CONTEXTS = {name: template_context(_SAMPLE_TICKET, e) for name, e in _SAMPLE_EVENTS.items()}
