"""What the public web form shows of a category, and which fields a customer may send.

A customer sees a category's name, label and the fields the web channel asks for (declared
ones and required ones), never its department, priority, procedure or before-solve list.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from intake.domain.categories import CategoryRule
from intake.domain.errors import UnknownFormFields
from intake.domain.form_fields import FieldKind, FieldSpec

WEB = "web"


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind
    max_length: int
    required: bool


@dataclass(frozen=True)
class FormCategory:
    name: str
    label: str
    fields: tuple[FormField, ...]


def form_fields(rule: CategoryRule) -> tuple[FormField, ...]:
    """The declared fields, then required ones the rule does not declare (plain text). A
    field needed before solving is the agents' to fill in, unless the web channel requires
    it of the customer: the form neither shows nor takes it."""
    required = rule.required_for(WEB)
    agents = set(rule.required_before_solve) - set(required)
    declared = {spec.name: spec for spec in rule.fields}
    specs = [
        *(spec for spec in rule.fields if spec.name not in agents),
        *(FieldSpec(n, n) for n in required if n not in declared),
    ]
    return tuple(
        FormField(spec.name, spec.label, spec.kind, spec.max_length, spec.name in required)
        for spec in specs
    )


def form_category(rule: CategoryRule) -> FormCategory:
    return FormCategory(rule.name, rule.label or rule.name, form_fields(rule))


def check_form_fields(rule: CategoryRule, fields: Mapping[str, object]) -> None:
    """UnknownFormFields naming each field the form does not offer: a customer sets only
    what the category asks of them."""
    offered = {field.name for field in form_fields(rule)}
    unknown = [name for name in fields if name not in offered]
    if unknown:
        raise UnknownFormFields(rule.name, unknown)
