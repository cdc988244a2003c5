"""Message templates are data: jinja2 text rendered in a sandbox, strict about unknown names.

Rendering here is bounded in what it can produce (output size, powers and repetitions that
would build huge values); bounding its time needs a process that can be stopped, which is the
renderer adapter's job.
"""

import operator
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from notify.domain.tickets import TicketView
from ticketflow_shared.errors import Unprocessable, problem
from ticketflow_shared.events import Payload

MAX_SUBJECT_CHARS = 500
MAX_BODY_CHARS = 100_000
# Beyond this a power's result has more bits than any message could show.
_MAX_POWER_BITS = 4096
# Controls that have no place in a mail: everything but tab and line breaks in a body.
_BODY_KEEPS = frozenset("\t\n\r")


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox, plus refusing `**` and `*` whose result would be absurdly large."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            _check_power(left, right)
            return operator.pow(left, right)
        if op == "*":
            _check_repeat(left, right)
            return operator.mul(left, right)
        return super().call_binop(context, op, left, right)


def _check_power(base: Any, exponent: Any) -> None:
    ints = isinstance(base, int) and isinstance(exponent, int)
    if (
        ints
        and abs(base) > 1
        and exponent > 0
        and abs(base).bit_length() * exponent > _MAX_POWER_BITS
    ):
        raise SecurityError(f"{base} ** {exponent} is too large")


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | list | tuple) and isinstance(times, int)
        if repeats and len(sequence) * times > MAX_BODY_CHARS:
            raise SecurityError(f"repeating {len(sequence)} items {times} times is too large")


# Plain-text mail: nothing to escape, and an unknown name is an error rather than "".
_ENV = _BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateInvalid(Unprocessable, ValueError):
    """A template that does not parse or does not render; names the field when one is to blame."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    def problems(self) -> list[dict[str, Any]]:
        loc: list[str | int] = ["body", self.field] if self.field else ["body"]
        return [problem("template_invalid", loc, self.message)]

    def __reduce__(self) -> tuple[type, tuple[str | None, str]]:
        # Raised in a renderer process and re-raised here: rebuilt from its own arguments.
        return (type(self), (self.field, self.message))


@dataclass(frozen=True)
class Template:
    """`event_type` names the template: the event type it announces, `reply` (an agent's
    public reply) or `status.<status>` (a status change, sent only while `enabled`)."""

    event_type: str
    subject: str
    body: str
    updated_at: datetime | None = None  # None: the seeded default, never edited
    enabled: bool = True


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


def template_context(ticket: TicketView, event: Payload) -> dict[str, Any]:
    """Names a template can use: `ticket`, `customer` and the event's own fields as `event`."""
    return {
        "ticket": ticket.template_context(),
        "customer": {"email": ticket.customer_email, "name": ticket.customer_name},
        "event": event.model_dump(),
    }


def render(template: Template, context: dict[str, Any]) -> RenderedEmail:
    subject = _render_field(template, "subject", context, MAX_SUBJECT_CHARS * 4)
    body = _render_field(template, "body", context, MAX_BODY_CHARS)
    # A header is one line; template line breaks in a subject would be header injection.
    subject = " ".join(_without_controls(subject, instead=" ").split())[:MAX_SUBJECT_CHARS]
    return RenderedEmail(subject=subject, body=_without_controls(body, keep=_BODY_KEEPS))


def _render_field(template: Template, field: str, context: dict[str, Any], limit: int) -> str:
    source: str = getattr(template, field)
    try:
        compiled = _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(field, f"line {exc.lineno}: {exc.message}") from exc
    except Exception as exc:  # compiling folds constants, e.g. `{{ 10 ** 100000 }}`
        raise TemplateInvalid(field, _describe(exc)) from exc
    parts: list[str] = []
    size = 0
    try:
        for part in compiled.generate(context):
            size += len(part)
            if size > limit:
                raise TemplateInvalid(field, f"renders more than {limit} characters")
            parts.append(part)
    except TemplateInvalid:
        raise
    except Exception as exc:  # whatever the template's own code raises: 1 + "a", recursion
        raise TemplateInvalid(field, _describe(exc)) from exc
    return "".join(parts)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _without_controls(text: str, keep: frozenset[str] = frozenset(), instead: str = "") -> str:
    """Replace control characters (NUL, escape codes...) that a plain-text mail cannot carry."""
    return "".join(c if c in keep or unicodedata.category(c) != "Cc" else instead for c in text)
