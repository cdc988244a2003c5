"""The customer a ticket is for, the address it may have, and the key that lists a customer's
tickets."""

from typing import Annotated

import email_validator
from pydantic import AfterValidator, EmailStr
from pydantic_core import PydanticCustomError

from ticketflow_shared.events import Customer


def mailable(address: str) -> str:
    """The address every later hop can send to: ASCII before the @, the domain in IDNA form."""
    checked = email_validator.validate_email(address, check_deliverability=False)
    if checked.ascii_email is None:
        raise PydanticCustomError(
            "smtputf8_required",
            "The part before the @ must be ASCII: this address needs SMTPUTF8, "
            "which the mail path does not offer",
        )
    return checked.ascii_email


# What every channel takes as a customer's address (REST, chat, email senders, the CRM).
MailAddress = Annotated[EmailStr, AfterValidator(mailable)]


def checked_customer(email: str, name: str | None, customer_id: str | None = None) -> Customer:
    """A Customer from an address already checked and put in its ASCII (IDNA) form.

    Validating it again would undo that: the contract's EmailStr turns an IDNA domain back
    into Unicode, which no hop without SMTPUTF8 can send to.
    """
    return Customer.model_construct(email=email, name=name, customer_id=customer_id)


def customer_key(email: str) -> str:
    """How intake files a customer's tickets: the address, case ignored."""
    return email.lower()
