"""A time a caller sends (query or body): any ISO 8601 offset, taken as the same instant in
UTC (no offset means UTC); one whose UTC date falls outside years 1-9999 is a 422, not a 500."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def in_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "Input should be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC",
        ) from None


UtcTime = Annotated[datetime, AfterValidator(in_utc)]
