"""A macro's reply text: a Jinja2 template over the ticket, its customer and the agent.

Checked when the macro is saved (it parses, uses only the names below and the allowed filters
and statements, and renders against a sample ticket), rendered in the bounded sandbox when it
is used. An unknown name is an error, never an empty string: at save time a 422 naming it, at
apply time a 422 saying what this ticket lacks (`| default('')` makes a field optional).
"""

from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, meta, nodes
from jinja2.exceptions import SecurityError

from intake.domain.errors import IntakeError
from intake.domain.sandbox import (
    ALLOWED_STATEMENTS,
    USER_FILTERS,
    BoundedSandbox,
    Budget,
    Metering,
    bounded_text,
    with_budget,
)
from intake.domain.ticket import Ticket
from ticketflow_shared.errors import Unprocessable, problem

MAX_TEMPLATE_CHARS = 10_000
NAMES: dict[str, frozenset[str]] = {
    "ticket": frozenset(
        {"id", "subject", "category", "priority", "status", "fields", "department", "tags"}
    ),
    "customer": frozenset({"name", "email"}),
    "agent": frozenset({"id", "name"}),
}
GLOBALS = frozenset({"range"})
_ENV = BoundedSandbox()


class TemplateInvalid(IntakeError, Unprocessable):
    """A reply template that cannot be used; `loc` names where it is in the request."""

    def __init__(self, message: str, loc: tuple[str | int, ...] = ("body", "reply", "body")):
        super().__init__(message)
        self.loc = loc

    def problems(self) -> list[dict[str, Any]]:
        return [problem("template_invalid", list(self.loc), str(self))]


def reply_context(ticket: Ticket, agent_id: str | None, agent_name: str | None) -> dict[str, Any]:
    """What a reply template can name, as plain values."""
    return {
        "ticket": {
            "id": ticket.id,
            "subject": ticket.subject,
            "category": ticket.category,
            "priority": ticket.priority.value,
            "status": ticket.status.value,
            "fields": dict(ticket.fields),
            "department": ticket.department,
            "tags": list(ticket.tags),
        },
        "customer": {"name": ticket.customer.name, "email": str(ticket.customer.email)},
        "agent": {"id": agent_id, "name": agent_name},
    }


def render_reply(source: str, context: dict[str, Any], budget: Budget | None = None) -> str:
    """The reply `source` gives in `context`; TemplateInvalid if it cannot be rendered."""
    template = compiled(source)
    try:
        return with_budget(budget or Budget(), lambda: bounded_text(template.generate(context)))
    except SecurityError as exc:
        raise TemplateInvalid(f"refused: {exc}") from exc
    except TemplateError as exc:
        raise TemplateInvalid(exc.message or type(exc).__name__) from exc
    except Exception as exc:  # the template's own arithmetic: 1 + "a", 1 / 0
        raise TemplateInvalid(f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def check_reply(source: str) -> None:
    """Raise TemplateInvalid unless `source` is a usable reply template."""
    if not render_reply(source, SAMPLE_CONTEXT).strip():
        raise TemplateInvalid("renders to an empty reply")


@lru_cache(maxsize=256)
def compiled(source: str) -> Template:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateInvalid(f"longer than {MAX_TEMPLATE_CHARS} characters")
    try:
        tree = _ENV.parse(source)
        _check_tree(tree)
        return _ENV.from_string(Metering().visit(tree))
    except TemplateInvalid:
        raise
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        message = exc.message or type(exc).__name__
        raise TemplateInvalid(f"line {line}: {message}" if line else message) from exc
    except (RecursionError, SyntaxError) as exc:  # Python's own limits on nesting
        raise TemplateInvalid("nested too deeply") from exc


def _check_tree(tree: nodes.Template) -> None:
    for statement in tree.find_all(nodes.Stmt):
        if not isinstance(statement, ALLOWED_STATEMENTS):
            raise TemplateInvalid(_unsupported(statement))
        if isinstance(statement, nodes.For) and statement.recursive:
            raise TemplateInvalid(f"line {statement.lineno}: recursive loops are not allowed")
    for used in tree.find_all(nodes.Filter):
        if used.name not in USER_FILTERS:
            raise TemplateInvalid(f"line {used.lineno}: no filter {used.name!r} here")
    for used in tree.find_all(nodes.Test):
        if used.name not in _ENV.tests:
            raise TemplateInvalid(f"line {used.lineno}: no test {used.name!r}")
    unknown = meta.find_undeclared_variables(tree) - NAMES.keys() - GLOBALS
    unknown |= {n.name for n in tree.find_all(nodes.Name) if n.name == "self"}
    if unknown:
        raise TemplateInvalid(f"unknown names: {', '.join(sorted(unknown))}; known: {_known()}")
    for root, name, line in _root_lookups(tree):
        if name not in NAMES[root]:
            known = ", ".join(sorted(NAMES[root]))
            raise TemplateInvalid(f"line {line}: {root} has no {name!r}; it has {known}")


def _root_lookups(tree: nodes.Template) -> list[tuple[str, str, int]]:
    """(`ticket`, `subject`, line) for each `ticket.subject` or `ticket['subject']`."""
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if not (isinstance(target, nodes.Name) and target.name in NAMES):
            continue
        if isinstance(node, nodes.Getattr):
            found.append((target.name, node.attr, node.lineno))
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            found.append((target.name, node.arg.value, node.lineno))
    return found


def _unsupported(statement: nodes.Stmt) -> str:
    kind = type(statement).__name__.lower()
    return (
        f"line {statement.lineno}: {{% {kind} %}} is not allowed; use output, if, for, set and with"
    )


def _known() -> str:
    return ", ".join(sorted(NAMES.keys() | GLOBALS))


class _SampleFields(dict):
    """A ticket's fields at save time, when any field a category may require can be named."""

    def __missing__(self, key: str) -> str:
        if key.startswith("_"):
            raise KeyError(key)
        return f"<{key}>"


SAMPLE_CONTEXT: dict[str, Any] = {
    "ticket": {
        "id": "TF-0123456789AB",
        "subject": "Invoice charged twice",
        "category": "billing",
        "priority": "high",
        "status": "open",
        "fields": _SampleFields(),
        "department": "billing",
        "tags": ["vip"],
    },
    "customer": {"name": "Jane Doe", "email": "jane@example.com"},
    "agent": {"id": "ana", "name": "Ana Lopez"},
}
