"""HTTP API: message templates, and what was sent to whom."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from notify import handlers
from notify.domain.deliveries import DeliveryStatus
from notify.domain.templates import Template
from notify.handlers import NotifyDeps
from notify.schemas import (
    NotificationList,
    NotificationRead,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)
from ticketflow_shared.access.guard import Admin, TicketReader, allow
from ticketflow_shared.access.principal import Principal, Role


def get_deps(request: Request) -> NotifyDeps:
    return request.app.state.notify


Deps = Annotated[NotifyDeps, Depends(get_deps)]
TemplateReader = Annotated[Principal, Depends(allow(Role.admin, Role.supervisor))]

templates = APIRouter(prefix="/templates", tags=["templates"])
notifications = APIRouter(prefix="/notifications", tags=["notifications"])


@templates.get("", summary="Each template: per notified event type, `reply`, `status.<status>`")
async def list_templates(deps: Deps, _: TemplateReader) -> TemplateList:
    found = await deps.templates.list_all()
    return TemplateList(data=[TemplateRead.of(t) for t in found], count=len(found))


@templates.get("/{event_type}", summary="One template: an event type, `reply` or `status.<status>`")
async def get_template(event_type: str, deps: Deps, _: TemplateReader) -> TemplateRead:
    return TemplateRead.of(await deps.templates.get(event_type))


@templates.put(
    "/{event_type}",
    summary="Replace a template (an event type's, `reply` or `status.<status>`)",
    responses={404: {"description": "No notification has this name"}},
)
async def put_template(
    event_type: str, update: TemplateUpdate, deps: Deps, _: Admin
) -> TemplateRead:
    template = Template(
        event_type=event_type, subject=update.subject, body=update.body, enabled=update.enabled
    )
    return TemplateRead.of(await handlers.update_template(deps, template))


@notifications.get("", summary="Deliveries, oldest first, e.g. all of one ticket")
async def list_notifications(
    deps: Deps,
    caller: TicketReader,
    ticket_id: Annotated[str | None, Query(max_length=200)] = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NotificationList:
    scope = caller.scope()
    if ticket_id is not None:
        found = await handlers.deliveries_of_ticket(deps, ticket_id, status, limit, scope)
    else:
        found = await deps.deliveries.find(ids=None, status=status, limit=limit, scope=scope)
    return NotificationList(data=[NotificationRead.of(d) for d in found], count=len(found))


@notifications.get("/{notification_id}", summary="One delivery")
async def get_notification(
    notification_id: str, deps: Deps, caller: TicketReader
) -> NotificationRead:
    delivery = await deps.deliveries.get(notification_id)
    if delivery is None or not caller.scope().allows(delivery.departments, delivery.created_by):
        raise HTTPException(404, f"no notification {notification_id!r}")
    return NotificationRead.of(delivery)


routers = (templates, notifications)
