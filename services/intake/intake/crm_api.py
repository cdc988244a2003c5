"""The CRM's door: upsert a customer by the CRM's own id, and its webhook for pushes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from intake import customer_handlers, handlers
from intake.api import Categories, Tickets
from intake.crm_schemas import CrmEvent, CrmResult
from intake.customer_handlers import Customers, CustomerView
from intake.customer_schemas import CrmRecord, CustomerRead
from intake.customers_api import CustomerStore
from intake.domain.crm_pushes import CrmPush, earlier_push, push_key
from intake.domain.customer_identities import InvalidIdentity, external_identity
from intake.domain.customer_profiles import BadQuery
from intake.domain.idempotency import request_fingerprint
from intake.handlers import now_ms
from intake.ports import CategoryRepository, CrmPushes, TicketRepository
from intake.triage_step import triager_of
from ticketflow_shared.access.audit import name_target
from ticketflow_shared.access.guard import allow
from ticketflow_shared.access.principal import Principal, Role
from ticketflow_shared.errors import Unprocessable
from ticketflow_shared.events import Channel

CrmCaller = Annotated[Principal, Depends(allow(Role.admin, Role.integration))]
IdPart = Annotated[str, Path(min_length=1, max_length=200)]
crm_router = APIRouter(prefix="/customers", tags=["customers", "crm"])
crm_channel_router = APIRouter(prefix="/channels", tags=["channels", "crm"])


NO_EMAIL = "a ticket needs the customer's email, in this push or on record"


class BadCrmRecord(Unprocessable):
    """A phone or address in the record that cannot name a customer."""


async def _refuse_ticket_early(
    body: CrmEvent, customers: Customers, categories: CategoryRepository
) -> None:
    """What would refuse the push's ticket, checked before its customer is written, so a
    refused push stores nothing: an unknown category, a required field missing or not of
    its kind, no email in the push or on record. (A category left to triage is checked
    once triage has chosen it, as for any ticket.)"""
    if body.ticket is None:
        return
    ticket = body.ticket
    await handlers.check_named_category(categories, ticket.category, ticket.fields, Channel.crm)
    if body.customer.email is None:
        try:
            identity = external_identity(body.system, body.customer.external_id)
        except InvalidIdentity as exc:
            raise BadCrmRecord(str(exc)) from exc
        owner = await customers.identities.owner(identity)
        profile = await customers.profiles.get(owner) if owner else None
        if profile is None or profile.email is None:
            raise BadCrmRecord(NO_EMAIL)


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
        raise BadQuery("system", str(exc), where="path") from exc
    try:
        profile, created = await customer_handlers.upsert_from_crm(
            customers, system, external_id, body.model_dump(), now_ms()
        )
    except InvalidIdentity as exc:
        raise BadCrmRecord(str(exc)) from exc
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
    pushes: CrmPushes = request.app.state.crm_pushes
    push = CrmPush(
        push_key(body.system, body.event_id), request_fingerprint(body.model_dump(mode="json"))
    )
    earlier = earlier_push(await pushes.take(push, now_ms()), push, body.event_id)
    if earlier is not None:
        assert earlier.customer_id is not None
        name_target(request, customer_id=earlier.customer_id)
        if earlier.ticket_id:
            name_target(request, ticket_id=earlier.ticket_id)
        response.status_code = 200
        return CrmResult(
            customer_id=earlier.customer_id, ticket_id=earlier.ticket_id, replayed=True
        )
    try:
        result = await _take_push(body, request, response, customers, tickets, categories, caller)
    except Exception:
        await pushes.release(push.key)
        raise
    await pushes.finish(push.key, result.customer_id, result.ticket_id)
    return result


async def _take_push(
    body: CrmEvent,
    request: Request,
    response: Response,
    customers: Customers,
    tickets: TicketRepository,
    categories: CategoryRepository,
    caller: Principal,
) -> CrmResult:
    await _refuse_ticket_early(body, customers, categories)
    try:
        profile, created = await customer_handlers.upsert_from_crm(
            customers, body.system, body.customer.external_id, body.record(), now_ms()
        )
    except InvalidIdentity as exc:
        raise BadCrmRecord(str(exc)) from exc
    name_target(request, customer_id=profile.id)
    if body.ticket is None:
        response.status_code = 201 if created else 200
        return CrmResult(customer_id=profile.id)
    if profile.email is None:
        raise BadCrmRecord(NO_EMAIL)
    command = body.to_command(profile, caller.actor)
    triager = triager_of(request.app.state)
    duplicates = getattr(request.app.state, "duplicates", None)
    made = await handlers.create_ticket(
        command, tickets, categories, triager=triager, duplicates=duplicates
    )
    name_target(request, ticket_id=made.ticket.id)
    if made.replayed or made.duplicate is not None:
        response.status_code = 200
    return CrmResult(customer_id=profile.id, ticket_id=made.ticket.id, replayed=made.replayed)
