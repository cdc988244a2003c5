"""The customer a ticket is for, and the key that lists a customer's tickets."""

from ticketflow_shared.events import Customer


def checked_customer(email: str, name: str | None, customer_id: str | None = None) -> Customer:
    """A Customer from an address already checked and put in its ASCII (IDNA) form.

    Validating it again would undo that: the contract's EmailStr turns an IDNA domain back
    into Unicode, which no hop without SMTPUTF8 can send to.
    """
    return Customer.model_construct(email=email, name=name, customer_id=customer_id)


def customer_key(email: str) -> str:
    """How intake files a customer's tickets: the address, case ignored."""
    return email.lower()
