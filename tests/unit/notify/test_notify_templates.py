"""Template rendering: defaults against a fake ticket, strictness, sandboxing, validation."""

from datetime import UTC, datetime

import pytest
from notify_fakes import assigned, created, resolved

from notify.domain.catalog import DEFAULT_TEMPLATES, SAMPLE_CONTEXTS, UnknownTemplate, check
from notify.domain.notices import EVENT_TEMPLATES, JOINED, REPLY, message_template
from notify.domain.templates import Template, TemplateInvalid, render, template_context
from notify.domain.tickets import TicketView
from ticketflow_shared.events import (
    ArticleSuggestion,
    AuthorKind,
    Envelope,
    TicketMessageAddedV1,
    Visibility,
)

TICKET = TicketView(
    ticket_id="TF-77",
    customer_email="jane@example.com",
    customer_name="Jane Doe",
    subject="Invoice charged twice",
    category="billing",
)


def render_default(envelope):
    context = template_context(TICKET, envelope.payload())
    return render(DEFAULT_TEMPLATES[envelope.type], context)


def test_created_default_names_the_reference_and_subject():
    email = render_default(created())
    assert email.subject == "We received your request [TF-77]: Invoice charged twice"
    assert "Hello Jane Doe," in email.body


def test_created_default_lists_suggested_articles_and_their_links_only_when_there_are_some():
    event = created().payload()
    linked = event.model_copy(
        update={
            "suggestions": [
                ArticleSuggestion(
                    article_id="a1", title="Reset your password", url="https://x/h?t=1"
                ),
                ArticleSuggestion(article_id="a2", title="Two-factor codes", url="https://x/h?t=2"),
            ]
        }
    )
    unlinked = event.model_copy(
        update={"suggestions": [ArticleSuggestion(article_id="a1", title="Reset your password")]}
    )

    with_links = render_default(Envelope.wrap(linked, source="/test", subject="TF-77"))
    without_links = render_default(Envelope.wrap(unlinked, source="/test", subject="TF-77"))
    plain = render_default(created())

    assert "- Reset your password\n  https://x/h?t=1\n- Two-factor codes\n  https://x/h?t=2" in (
        with_links.body
    )
    assert "This solved my problem" in with_links.body
    assert "- Reset your password\n" in without_links.body
    assert "https://" not in without_links.body and "solved my problem" not in without_links.body
    assert "articles" not in plain.body


def test_assigned_default_names_the_agent_and_department():
    email = render_default(assigned())
    assert email.subject == "Your request [TF-77] is now with Ana Lopez (billing)"


def test_resolved_default_includes_the_resolution_only_when_there_is_one():
    with_resolution = render_default(resolved(resolution="Refunded the duplicate."))
    without = render_default(resolved(resolution=None))
    assert with_resolution.subject == "Your request [TF-77] has been resolved"
    assert "Resolution: Refunded the duplicate." in with_resolution.body
    assert "Resolution" not in without.body


def test_customer_without_a_name_is_greeted_anyway():
    nameless = TicketView("TF-1", "x@example.com", None, "Help", "account")
    context = template_context(nameless, created().payload())
    email = render(DEFAULT_TEMPLATES["ticket.created.v1"], context)
    assert email.body.startswith("Hello there,")


def test_reference_prefixes_ids_that_lack_it():
    assert TicketView("9f3a", "x@example.com", None, "s", "c").reference == "TF-9f3a"
    assert TicketView("TF-9f3a", "x@example.com", None, "s", "c").reference == "TF-9f3a"


def test_unknown_name_is_an_error_not_an_empty_string():
    template = Template("ticket.created.v1", "Hi {{ ticket.nickname }}", "body")
    with pytest.raises(TemplateInvalid) as error:
        check(template)
    assert error.value.field == "subject"
    assert "nickname" in error.value.message


def test_syntax_error_names_the_field_and_line():
    template = Template("ticket.created.v1", "ok", "line one\n{% if %}")
    with pytest.raises(TemplateInvalid) as error:
        check(template)
    assert error.value.field == "body"
    assert "line 2" in error.value.message


def test_sandbox_refuses_reaching_into_python_internals():
    template = Template("ticket.created.v1", "{{ ticket.__class__.__mro__ }}", "body")
    with pytest.raises(TemplateInvalid):
        check(template)


def test_line_breaks_in_a_subject_collapse_to_one_header_line():
    template = Template("ticket.created.v1", "A\n{{ ticket.reference }}\r\nB", "body")
    assert render(template, template_context(TICKET, created().payload())).subject == "A TF-77 B"


def test_blank_subject_is_refused():
    with pytest.raises(TemplateInvalid) as error:
        check(Template("ticket.created.v1", "{{ '' }}  ", "body"))
    assert error.value.field == "subject"


def test_event_types_without_notifications_have_no_template():
    with pytest.raises(UnknownTemplate):
        check(Template("ticket.queued.v1", "s", "b"))


def test_every_default_passes_its_own_check_against_its_sample():
    subjects = {}
    for event_type, template in DEFAULT_TEMPLATES.items():
        check(template)
        subjects[event_type] = render(template, SAMPLE_CONTEXTS[event_type]).subject
    assert subjects == {
        "ticket.created.v1": "We received your request [TF-1042]: Invoice charged twice",
        "ticket.assigned.v1": "Your request [TF-1042] is now with Ana Lopez (billing)",
        "ticket.resolved.v1": "Your request [TF-1042] has been resolved",
        "reply": "[TF-1042] Re: Invoice charged twice",
        "joined": "We added your message to [TF-1042]: Invoice charged twice",
        "status.pending": "We need something from you [TF-1042]: Invoice charged twice",
        "status.on_hold": "Your request [TF-1042] is waiting on a third party",
        "status.open": "Your request [TF-1042] is being worked on",
        "status.closed": "Your request [TF-1042] is closed",
        "page.escalated": "[TF-1042] Escalated (wait): Invoice charged twice",
        "page.sla_breached": "[TF-1042] SLA breached (first_response): Invoice charged twice",
        "ticket.escalated.v1": "Your request [TF-1042] gets extra attention",
        "sla.warning.v1": "We are on your request [TF-1042]",
        "sla.breached.v1": "Sorry for the wait [TF-1042]",
    }
    switched_on = {name for name, template in DEFAULT_TEMPLATES.items() if template.enabled}
    assert switched_on == {
        *EVENT_TEMPLATES,
        "reply",
        "joined",
        "status.pending",
        "page.escalated",
        "page.sla_breached",
    }


def test_a_resolved_status_has_no_template_and_only_status_templates_switch_off():
    with pytest.raises(UnknownTemplate):
        check(Template("status.solved", "s", "b"))
    with pytest.raises(TemplateInvalid) as error:
        check(Template("reply", "s", "b", enabled=False))
    assert error.value.field == "enabled"
    check(Template("status.on_hold", "s", "b", enabled=True))
    check(Template("status.pending", "s", "b", enabled=False))


def test_a_reply_body_is_text_not_template_code():
    context = SAMPLE_CONTEXTS["reply"]
    sneaky = {
        **context,
        "event": {**context["event"], "body": "{{ 7 * 7 }} {% if 1 %}x{% endif %}"},
    }
    rendered = render(DEFAULT_TEMPLATES["reply"], sneaky)
    assert rendered.body.startswith("{{ 7 * 7 }} {% if 1 %}x{% endif %}\n")
    assert "Ana Lopez" in rendered.body


@pytest.mark.parametrize(
    "source",
    [
        "{{ 10 ** 100000 }}",  # folded while compiling: too many digits to print
        "{{ 3 ** 1000000000 }}",  # would take minutes and gigabytes to compute
        "{{ 'x' * 10 ** 9 }}",  # a gigabyte of text
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",  # endless recursion
        "{% for i in range(300) %}{{ 'y' * 1000 }}{% endfor %}",  # output past the limit
    ],
    ids=["huge-power-literal", "tower-of-powers", "huge-repeat", "recursion", "too-long"],
)
def test_templates_that_blow_up_are_invalid_not_crashes(source):
    with pytest.raises(TemplateInvalid) as error:
        check(Template("ticket.created.v1", "Subject", source))
    assert error.value.field == "body"


def test_control_characters_never_reach_subject_or_body():
    template = Template("ticket.created.v1", "A\x00B {{ '\x1b' }}C", "x\x00y\tz\n")
    email = render(template, template_context(TICKET, created().payload()))
    assert (email.subject, email.body) == ("A B C", "xy\tz\n")


def test_an_invalid_template_survives_a_trip_between_processes():
    import pickle

    error = TemplateInvalid("body", "line 1: unexpected end")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message, str(copy)) == ("body", "line 1: unexpected end", str(error))


def test_a_joined_request_is_announced_and_a_merged_copy_is_not():
    joined = _message(AuthorKind.customer, Visibility.public, joined="duplicate")
    assert message_template(joined) == JOINED
    assert message_template(_message(AuthorKind.customer, Visibility.public)) is None
    assert message_template(_message(AuthorKind.agent, Visibility.public)) == REPLY
    merged_reply = _message(AuthorKind.agent, Visibility.public, joined="merge")
    assert message_template(merged_reply) is None


def _message(kind: AuthorKind, visibility: Visibility, **extra: str) -> TicketMessageAddedV1:
    return TicketMessageAddedV1(
        ticket_id="TF-1",
        message_id="M-1",
        author="key:web",
        author_kind=kind,
        visibility=visibility,
        body="Charged twice",
        added_at=datetime(2026, 1, 1, tzinfo=UTC),
        **extra,
    )
