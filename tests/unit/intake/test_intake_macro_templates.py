"""Reply templates: what they can name, what they can never reach, and what they can spend."""

import time

import pytest
from intake_fakes import GENERAL, new_ticket

from intake.domain.macro_templates import (
    SAMPLE_CONTEXT,
    TemplateInvalid,
    check_reply,
    render_reply,
    reply_context,
)
from intake.domain.sandbox import MAX_TEXT, Budget


def test_a_reply_names_the_ticket_the_customer_and_the_agent():
    ticket = new_ticket(GENERAL)
    ticket.fields = {"order_id": "A-1001"}
    ticket.tags = ["vip"]
    ticket.department = "front-desk"
    source = (
        "Hello {{ customer.name or 'there' }}, about {{ ticket.subject }} ({{ ticket.id }}, "
        "{{ ticket.category }}/{{ ticket.department }}, {{ ticket.priority }}, "
        "{{ ticket.status }}): order {{ ticket.fields.order_id }}, {{ ticket.tags|join(',') }}."
        " {{ agent.name }} ({{ agent.id }})"
    )

    text = render_reply(source, reply_context(ticket, "ana", "Ana Lopez"))

    assert text == (
        "Hello there, about Help (TF-TEST00000001, general/front-desk, normal, new): "
        "order A-1001, vip. Ana Lopez (ana)"
    )


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("{{ nobody }}", "unknown names: nobody"),
        ("{{ ticket.subjct }}", "ticket has no 'subjct'"),
        ("{{ customer['phone'] }}", "customer has no 'phone'"),
        ("{{ agent.email }}", "agent has no 'email'"),
        ("{{ ticket.subject|center(80) }}", "no filter 'center'"),
        ("{% include 'other' %}", "{% include %} is not allowed"),
        ("{% macro m() %}x{% endmacro %}{{ m() }}", "{% macro %} is not allowed"),
        ("{% set x %}captured{% endset %}{{ x }}", "{% assignblock %} is not allowed"),
        ("{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}", "recursive loops"),
        ("{{ ticket.subject", "line 1"),
        ("   ", "renders to an empty reply"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "nested too deeply"),
        ("{% if 1 %}" * 150 + "x" + "{% endif %}" * 150, "nested too deeply"),
    ],
)
def test_a_template_that_cannot_be_used_is_refused_naming_why(source, named):
    with pytest.raises(TemplateInvalid) as refused:
        check_reply(source)
    assert named in str(refused.value)
    [problem] = refused.value.problems()
    assert problem["loc"] == ["body", "reply", "body"]


def test_any_field_may_be_named_when_saving_but_a_missing_one_is_refused_when_used():
    source = "Order {{ ticket.fields.order_id }}"
    check_reply(source)

    with pytest.raises(TemplateInvalid, match="order_id"):
        render_reply(source, reply_context(new_ticket(), "ana", "Ana"))
    optional = "Order {{ ticket.fields.order_id|default('unknown') }}"
    assert render_reply(optional, reply_context(new_ticket(), "ana", "Ana")) == "Order unknown"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ticket.subject.__class__ }}",
        "{{ ticket.fields.__class__ }}",
        "{{ ticket.items() }}",
        "{{ ticket.fields.items() }}",
        "{{ ticket['__class__'] }}",
        "{{ self.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ range.__globals__ }}",
        "{{ ticket|attr('__class__') }}",
        "{{ '{0.__class__}'.format(ticket) }}",
        "{{ ticket.subject.format }}",
        "{% for i in range(2) %}{{ loop.__class__ }}{% endfor %}",
        "{{ namespace }}{{ dict }}{{ joiner }}",
    ],
)
def test_a_template_never_reaches_python_internals(source):
    with pytest.raises(TemplateInvalid):
        check_reply(source)
    with pytest.raises(TemplateInvalid):
        render_reply(source, reply_context(new_ticket(), "ana", "Ana"))


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% set r = range(1000) %}{% for i in r %}{% for j in r %}{% for k in r %}"
        "{% endfor %}{% endfor %}{% endfor %}x",
        "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** (9 ** 9) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ ticket.subject|truncate(10**9) }}",
        "{{ 'a'" + "|replace('a', 'aaaa')" * 12 + " }}",
        "{% set a = 'x' * 10000 %}{% set b = a ~ a ~ a %}{{ b }}",
        "{% set a = ['x' * 10000] %}{{ (a * 3)|join }}",
    ],
)
def test_a_runaway_template_is_stopped_quickly(source):
    started = time.perf_counter()
    with pytest.raises(TemplateInvalid, match="refused"):
        check_reply(source)
    assert time.perf_counter() - started < 2.0


def test_rendering_stops_when_its_time_runs_out():
    ticks = iter(range(1_000_000))
    budget = Budget(steps=10**9, seconds=100, clock=lambda: next(ticks))

    with pytest.raises(TemplateInvalid, match="longer than 100 s"):
        render_reply("{% for i in range(1000) %}.{% endfor %}", SAMPLE_CONTEXT, budget)


def test_a_value_that_is_not_there_prints_nothing():
    assert render_reply("Hello {{ customer.name }}!", reply_context(new_ticket(), None, None)) == (
        "Hello !"
    )


def test_output_up_to_the_limit_renders():
    text = render_reply("{{ 'x' * " + str(MAX_TEXT) + " }}", SAMPLE_CONTEXT)
    assert len(text) == MAX_TEXT
