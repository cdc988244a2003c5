"""HTTP shapes of the paging API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from notify.domain.deliveries import ascii_address, recipient_problem
from notify.domain.paging import MAX_ADDRESSES, PagingList


class PagingUpdate(BaseModel):
    """The addresses paged for the department; an empty list pages nobody."""

    model_config = ConfigDict(extra="forbid")

    emails: list[EmailStr] = Field(max_length=MAX_ADDRESSES)

    @field_validator("emails")
    @classmethod
    def _deliverable(cls, emails: list[str]) -> list[str]:
        kept: list[str] = []
        for email in emails:
            problem = recipient_problem(email)
            if problem is not None:
                raise ValueError(f"{email}: {problem}")
            address = ascii_address(email).lower()
            if address not in kept:
                kept.append(address)
        return kept


class PagingRead(BaseModel):
    department: str
    emails: list[str]
    updated_at: datetime | None = Field(description="null while nothing was set")
    updated_by: str | None

    @classmethod
    def of(cls, paging: PagingList) -> "PagingRead":
        return cls(
            department=paging.department,
            emails=list(paging.emails),
            updated_at=paging.updated_at,
            updated_by=paging.updated_by,
        )
