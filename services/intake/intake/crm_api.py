"""The CRM's door: upsert a customer by the CRM's own id, and its webhook for pushes."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from intake import crm_handlers, customer_handlers
from intake.api import Categories, Tickets
from intake.crm_handlers import BadCrmRecord
from intake.crm_schemas import CrmEvent, CrmResult
from intake.customer_handlers import CustomerView
from intake.customer_schemas import CrmRecord, CustomerRead
from intake.customers_api import CustomerStore
from intake.domain.customer_identities import InvalidIdentity
from intake.domain.customer_profiles import BadQuery
from intake.handlers import now_ms
from intake.triage_step import triager_of
from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import allow
from ticketflow_shared.access.principal import Principal, Role

CrmCaller = Annotated[Principal, Depends(allow(Role.admin, Role.integration))]
IdPart = Annotated[str, Path(min_length=1, max_length=200)]
crm_router = APIRouter(prefix="/customers", tags=["customers", "crm"])
crm_channel_router = APIRouter(prefix="/channels", tags=["channels", "crm"])
# Where a record sent to the upsert carries the parts of an identity it may get wrong.
RECORD_PARTS = {"email": ("body", "email"), "phone": ("body", "phone")}


@crm_router.put(
    "/by-external-id/{system}/{external_id}",
    summary="Create or update the customer a CRM record names",
    responses={
        200: {"description": "Updated"},
        201: {"description": "Created"},
        409: {"description": "The record's ids belong to different customers"},
    },
)
async def upsert_customer(
    system: IdPart,
    external_id: IdPart,
    body: CrmRecord,
    request: Request,
    response: Response,
    customers: CustomerStore,
    _: CrmCaller,
) -> CustomerRead:
    try:
        customer_handlers.crm_identities(system, external_id, None, None)
    except InvalidIdentity as exc:
        parameter = "external_id" if exc.part == "id" else "system"
        raise BadQuery(parameter, str(exc), where="path") from exc
    try:
        profile, created = await customer_handlers.upsert_from_crm(
            customers, system, external_id, body.model_dump(), now_ms()
        )
    except InvalidIdentity as exc:
        raise BadCrmRecord.of(exc, RECORD_PARTS) from exc
    name_target(request, customer_id=profile.id)
    response.status_code = 201 if created else 200
    read = CustomerRead.of(CustomerView(profile, [], None))
    return read.model_copy(update={"timeline": None})


@crm_channel_router.post(
    "/crm",
    status_code=201,
    summary="Take a CRM's push: a customer upsert, and a new ticket carrying the CRM's ids",
    responses={
        200: {"description": "Redelivery of an event already taken, or an update only"},
        409: {"description": "The customer's ids belong to different customers"},
    },
)
async def receive_crm_event(
    body: CrmEvent,
    request: Request,
    response: Response,
    customers: CustomerStore,
    tickets: Tickets,
    categories: Categories,
    caller: CrmCaller,
) -> CrmResult:
    taken = await crm_handlers.take_push(
        body,
        request.app.state.crm_pushes,
        customers,
        tickets,
        categories,
        caller.actor,
        triager=triager_of(request.app.state),
        duplicates=getattr(request.app.state, "duplicates", None),
        noted=partial(name_target, request),
    )
    response.status_code = 201 if taken.new else 200
    return CrmResult(
        customer_id=taken.customer_id, ticket_id=taken.ticket_id, replayed=taken.replayed
    )
