"""Category rules: which fields a category needs (always, per channel, before solving), the
fields it declares for a form, and the priority it gets by default."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from intake.domain.errors import MissingFields
from intake.domain.form_fields import FieldSpec, check_declared, check_values
from intake.domain.procedure import ProcedureStep
from ticketflow_shared.events import Priority

FieldValue = str | int | float | bool


@dataclass(frozen=True)
class CategoryRule:
    name: str
    required_fields: tuple[str, ...] = ()
    default_priority: Priority | None = None
    department: str | None = None
    # The steps every ticket of the category takes a copy of (its SOP).
    procedure: tuple[ProcedureStep, ...] = ()
    # What a customer-facing form shows: the category's label and its declared fields.
    label: str | None = None
    fields: tuple[FieldSpec, ...] = ()
    # Required on top of `required_fields` for tickets from one channel (`web`, `email`...).
    required_by_channel: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # Not needed to open a ticket, but to solve it: an agent fills them in before.
    required_before_solve: tuple[str, ...] = ()

    def required_for(self, channel: str | None) -> tuple[str, ...]:
        """The general required fields, then the channel's own, each once."""
        extra = self.required_by_channel.get(channel, ()) if channel else ()
        return tuple(dict.fromkeys((*self.required_fields, *extra)))

    def missing_fields(
        self, fields: Mapping[str, FieldValue], channel: str | None = None
    ) -> list[str]:
        """Required fields absent from `fields`, or present but blank."""
        return missing(self.required_for(channel), fields)

    def require_fields(self, fields: Mapping[str, FieldValue], channel: str | None = None) -> None:
        """MissingFields naming every required field not given; InvalidFieldValues for a
        declared field whose value does not fit its declaration."""
        absent = self.missing_fields(fields, channel)
        if absent:
            raise MissingFields(self.name, absent)
        check_values(self.fields, fields)

    def check(self) -> None:
        """InvalidCategory unless every field the rule names is one it declares (when it
        declares any); called when a rule is saved, never on one read back."""
        check_declared(
            self.fields,
            {
                ("required_fields",): self.required_fields,
                ("required_before_solve",): self.required_before_solve,
                **{
                    ("required_by_channel", channel): names
                    for channel, names in self.required_by_channel.items()
                },
            },
        )

    def priority_for(self, requested: Priority | None) -> Priority:
        """The caller's priority wins; then the category's default; then normal."""
        return requested or self.default_priority or Priority.normal


def missing(required: tuple[str, ...], fields: Mapping[str, FieldValue]) -> list[str]:
    return [name for name in required if _blank(fields.get(name))]


def _blank(value: FieldValue | None) -> bool:
    # False and 0 are real answers; only absence and empty text count as missing.
    return value is None or (isinstance(value, str) and not value.strip())


DEFAULT_CATEGORIES: tuple[CategoryRule, ...] = (
    CategoryRule("billing", ("order_id",), Priority.high, "billing"),
    CategoryRule("technical", ("product",), Priority.normal, "technical"),
    CategoryRule("account", (), Priority.normal, "accounts"),
    CategoryRule("general", (), Priority.low, "front-desk"),
)
