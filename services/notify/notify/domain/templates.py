"""Message templates are data: jinja2 text rendered in a sandbox, strict about unknown names."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from notify.domain.tickets import TicketView
from ticketflow_shared.events import (
    Channel,
    Customer,
    Payload,
    Priority,
    TicketAssignedV1,
    TicketCreatedV1,
    TicketResolvedV1,
)

# Plain-text mail: nothing to escape, and an unknown name is an error rather than "".
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
# What a template may get wrong at render time besides jinja's own errors, e.g. `{{ 1 + "a" }}`.
_RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, AttributeError)


class TemplateInvalid(ValueError):
    """A template field that does not parse or does not render; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownTemplate(LookupError):
    """No notification is sent for this event type, so it has no template."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"no template for {event_type!r}; known: {', '.join(DEFAULT_TEMPLATES)}")
        self.event_type = event_type


@dataclass(frozen=True)
class Template:
    event_type: str
    subject: str
    body: str
    updated_at: datetime | None = None  # None: the seeded default, never edited


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


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
                "An agent will pick it up shortly; reply to this email to add details.\n\n"
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
    )
}


def template_context(ticket: TicketView, event: Payload) -> dict[str, Any]:
    """Names a template can use: `ticket`, `customer` and the event's own fields as `event`."""
    return {
        "ticket": ticket.template_context(),
        "customer": {"email": ticket.customer_email, "name": ticket.customer_name},
        "event": event.model_dump(),
    }


def render(template: Template, context: dict[str, Any]) -> RenderedEmail:
    subject = _render_field(template, "subject", context)
    body = _render_field(template, "body", context)
    # A header is one line; template line breaks in a subject would be header injection.
    return RenderedEmail(subject=" ".join(subject.split()), body=body)


def check(template: Template) -> None:
    """Raise TemplateInvalid unless both fields parse and render against a sample ticket."""
    if template.event_type not in DEFAULT_TEMPLATES:
        raise UnknownTemplate(template.event_type)
    rendered = render(template, SAMPLE_CONTEXTS[template.event_type])
    if not rendered.subject:
        raise TemplateInvalid("subject", "renders to an empty subject")


def _render_field(template: Template, field: str, context: dict[str, Any]) -> str:
    source: str = getattr(template, field)
    try:
        compiled = _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(field, f"line {exc.lineno}: {exc.message}") from exc
    try:
        return compiled.render(context)
    except _RENDER_ERRORS as exc:
        raise TemplateInvalid(field, f"{type(exc).__name__}: {exc}") from exc


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
}
SAMPLE_CONTEXTS = {name: template_context(_SAMPLE_TICKET, e) for name, e in _SAMPLE_EVENTS.items()}
