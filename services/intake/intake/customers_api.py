"""Thin routes of customers: the profile with its timeline, lookups by identity, merges and
their undoing."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from intake import customer_handlers
from intake.api import Tickets
from intake.customer_handlers import Customers
from intake.customer_schemas import (
    CustomerId,
    CustomerIds,
    CustomerRead,
    MergedInto,
    MergeRequest,
    UnmergeRequest,
)
from intake.domain.customer_identities import (
    Identity,
    InvalidIdentity,
    email_identity,
    external_identity,
    phone_identity,
)
from intake.domain.customer_profiles import BadQuery
from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import TicketReader, TicketWorker


def _customers(request: Request) -> Customers:
    return request.app.state.customers


CustomerStore = Annotated[Customers, Depends(_customers)]
customers_router = APIRouter(prefix="/customers", tags=["customers"])
Text = Annotated[str | None, Query(min_length=1, max_length=320)]


@customers_router.get("", summary="The customer an email, phone or CRM id names")
async def find_customers(
    customers: CustomerStore,
    _: TicketReader,
    email: Text = None,
    phone: Text = None,
    external: Annotated[str | None, Query(description="`system:id`", max_length=402)] = None,
) -> CustomerIds:
    identity = _identity(email, phone, external)
    found = await customer_handlers.customers_named(customers, identity)
    return CustomerIds(data=found, count=len(found))


@customers_router.get(
    "/{customer_id}",
    summary="A customer's profile and timeline, newest first",
    responses={301: {"model": MergedInto, "description": "Merged into another record"}},
)
async def get_customer(
    customer_id: CustomerId,
    customers: CustomerStore,
    tickets: Tickets,
    caller: TicketReader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CustomerRead:
    view = await customer_handlers.customer_view(
        customers, tickets, customer_id, caller.scope(), cursor, limit
    )
    if view.profile.merged_into is not None:
        return _moved(view.profile.merged_into)
    return CustomerRead.of(view)


@customers_router.post(
    "/{customer_id}/merge",
    summary="Merge another customer record into this one",
    responses={
        403: {"description": "The caller sees no ticket of one of the records"},
        404: {"description": "Unknown record"},
        409: {"description": "Cannot merge"},
    },
)
async def merge_customers(
    customer_id: CustomerId,
    body: MergeRequest,
    request: Request,
    customers: CustomerStore,
    tickets: Tickets,
    caller: TicketWorker,
) -> CustomerRead:
    name_target(request, customer_id=customer_id)
    await customer_handlers.check_may_merge(
        customers, tickets, caller.scope(), customer_id, body.customer_id
    )
    await customer_handlers.merge(customers, customer_id, body.customer_id)
    view = await customer_handlers.customer_view(
        customers, tickets, customer_id, caller.scope(), None, 20
    )
    return CustomerRead.of(view)


@customers_router.post(
    "/{customer_id}/unmerge",
    summary="Undo merging another customer record into this one",
    responses={
        403: {"description": "The caller sees no ticket of one of the records"},
        404: {"description": "Unknown record"},
        409: {
            "description": "Not merged into this record, or merged before merges could be undone"
        },
    },
)
async def unmerge_customers(
    customer_id: CustomerId,
    body: UnmergeRequest,
    request: Request,
    customers: CustomerStore,
    tickets: Tickets,
    caller: TicketWorker,
) -> CustomerRead:
    name_target(request, customer_id=customer_id)
    await customer_handlers.check_may_unmerge(
        customers, tickets, caller.scope(), customer_id, body.customer_id
    )
    await customer_handlers.unmerge(customers, customer_id, body.customer_id)
    view = await customer_handlers.customer_view(
        customers, tickets, customer_id, caller.scope(), None, 20
    )
    return CustomerRead.of(view)


def _identity(email: str | None, phone: str | None, external: str | None) -> Identity:
    given = [value for value in (email, phone, external) if value is not None]
    if len(given) != 1:
        raise BadQuery("email", "give exactly one of email, phone, external")
    try:
        if email is not None:
            return email_identity(email)
        if phone is not None:
            return phone_identity(phone)
        system, _, external_id = external.partition(":")
        return external_identity(system, external_id)
    except InvalidIdentity as exc:
        parameter = "email" if email is not None else "phone" if phone is not None else "external"
        raise BadQuery(parameter, str(exc)) from exc


def _moved(survivor: str) -> JSONResponse:
    location = f"/customers/{survivor}"
    return JSONResponse({"merged_into": survivor}, status_code=301, headers={"Location": location})
