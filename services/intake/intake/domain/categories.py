"""Category rules: which fields a category needs, and the priority it gets by default."""

from collections.abc import Mapping
from dataclasses import dataclass

from intake.domain.errors import MissingFields
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

    def missing_fields(self, fields: Mapping[str, FieldValue]) -> list[str]:
        """Required fields absent from `fields`, or present but blank."""
        return [name for name in self.required_fields if _blank(fields.get(name))]

    def require_fields(self, fields: Mapping[str, FieldValue]) -> None:
        missing = self.missing_fields(fields)
        if missing:
            raise MissingFields(self.name, missing)

    def priority_for(self, requested: Priority | None) -> Priority:
        """The caller's priority wins; then the category's default; then normal."""
        return requested or self.default_priority or Priority.normal


def _blank(value: FieldValue | None) -> bool:
    # False and 0 are real answers; only absence and empty text count as missing.
    return value is None or (isinstance(value, str) and not value.strip())


DEFAULT_CATEGORIES: tuple[CategoryRule, ...] = (
    CategoryRule("billing", ("order_id",), Priority.high, "billing"),
    CategoryRule("technical", ("product",), Priority.normal, "technical"),
    CategoryRule("account", (), Priority.normal, "accounts"),
    CategoryRule("general", (), Priority.low, "front-desk"),
)
