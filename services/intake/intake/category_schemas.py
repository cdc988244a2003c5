"""HTTP shapes of what a category declares for forms: its fields, and the lists of fields
required per channel and before solving."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from intake.domain.form_fields import FieldKind, FieldSpec
from ticketflow_shared.events import Channel

# Field names become MongoDB keys: no dots, no leading `$`.
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")]
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]


def no_repeats(names: list[str]) -> list[str]:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return names


FieldNames = Annotated[list[FieldName], Field(max_length=50), AfterValidator(no_repeats)]


class FieldSpecUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: FieldName
    label: Label
    kind: FieldKind = FieldKind.text
    max_length: int = Field(default=200, ge=1, le=2000)

    def to_spec(self) -> FieldSpec:
        return FieldSpec(self.name, self.label, self.kind, self.max_length)


class FieldSpecRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str
    kind: FieldKind
    max_length: int


RequiredByChannel = Annotated[
    dict[Channel, FieldNames],
    Field(description="Fields required on top of required_fields for tickets from a channel"),
]
