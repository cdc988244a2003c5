"""The public web form: GET /form (a page and its own script and style), the categories it
offers, and POST /form/tickets, which opens a `web` ticket through the same create path as
POST /tickets. No credentials: each client address has a request budget (429 + Retry-After),
the ticket body a size limit of its own (413), and an Idempotency-Key is required so a
double click makes one ticket."""

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from intake import handlers
from intake.api import REPLAYED_HEADER, Categories, Tickets
from intake.domain.errors import UnknownCategory
from intake.domain.web_form import check_form_fields, form_category
from intake.settings import IntakeSettings
from intake.triage_step import triager_of
from intake.web_form_schemas import (
    FormCategoryList,
    FormCategoryRead,
    WebTicketCreate,
    WebTicketCreated,
)
from ticketflow_shared.access.ratelimit import RateLimiter, retry_after
from ticketflow_shared.limits import BodySizeLimit

WEB_FORM_ACTOR = "channel:web"
TICKETS_PATH = "/form/tickets"
OPEN_PATHS = ("/form", "/form/form.js", "/form/form.css", "/form/categories", TICKETS_PATH)
ASSETS = files("intake") / "web_form_assets"
# The page runs only its own script and style, talks only to this service, is never framed.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

page_router = APIRouter(prefix="/form", include_in_schema=False)
web_form_router = APIRouter(prefix="/form", tags=["web form"])


def _asset(name: str, media_type: str) -> Response:
    return Response((ASSETS / name).read_bytes(), media_type=media_type, headers=PAGE_HEADERS)


@page_router.get("")
async def form_page() -> HTMLResponse:
    return HTMLResponse((ASSETS / "form.html").read_text(), headers=PAGE_HEADERS)


@page_router.get("/form.js")
async def form_script() -> Response:
    return _asset("form.js", "text/javascript")


@page_router.get("/form.css")
async def form_style() -> Response:
    return _asset("form.css", "text/css")


async def within_budget(request: Request) -> None:
    """429 with Retry-After once the client address has spent its budget."""
    limiter: RateLimiter = request.app.state.web_form_limiter
    wait = limiter.take(request.client.host if request.client else "unknown")
    if wait > 0:
        raise HTTPException(
            429, "too many requests from this address", {"Retry-After": retry_after(wait)}
        )


Budgeted = [Depends(within_budget)]
IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=200,
        description="One per submission of the form: a repeated submission makes one ticket",
    ),
]


@web_form_router.get(
    "/categories",
    summary="What the web form offers",
    dependencies=Budgeted,
    responses={429: {"description": "Too many requests from this address; see Retry-After"}},
)
async def form_categories(categories: Categories) -> FormCategoryList:
    found = [FormCategoryRead.model_validate(form_category(r)) for r in await categories.all()]
    return FormCategoryList(data=found, count=len(found))


@web_form_router.post(
    "/tickets",
    status_code=201,
    summary="A customer opens a ticket from the web form",
    dependencies=Budgeted,
    responses={
        200: {
            "description": "Replay of an earlier submission with the same Idempotency-Key, "
            "or joined (`joined`: true) the customer's open request about the same problem"
        },
        409: {"description": "Idempotency-Key reused with a different body"},
        413: {"description": "Body over the form's limit"},
        429: {"description": "Too many requests from this address; see Retry-After"},
    },
)
async def submit_form(
    body: WebTicketCreate,
    idempotency_key: IdempotencyKey,
    request: Request,
    response: Response,
    tickets: Tickets,
    categories: Categories,
) -> WebTicketCreated:
    rule = await categories.get(body.category)
    if rule is None:
        raise UnknownCategory(body.category)
    check_form_fields(rule, body.fields)
    command = body.to_command(idempotency_key, created_by=WEB_FORM_ACTOR)
    state = request.app.state
    created = await handlers.create_ticket(
        command,
        tickets,
        categories,
        identities=getattr(state, "customer_identities", None),
        triager=triager_of(state),
        duplicates=getattr(state, "duplicates", None),
    )
    joined = created.duplicate is not None
    if created.replayed or joined:
        response.status_code = 200
    if created.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return WebTicketCreated(
        reference=created.ticket.id, category=created.ticket.category, joined=joined
    )


class FormBodyLimit:
    """The form's own, smaller body limit, on its ticket path only (the shared 413 logic)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.limited = BodySizeLimit(app, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == TICKETS_PATH:
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_web_form(app: FastAPI, settings: IntakeSettings) -> None:
    """The form's routes (open: listed in OPEN_PATHS), its budget per address and body limit."""
    app.include_router(page_router)
    app.include_router(web_form_router)
    app.state.web_form_limiter = RateLimiter(
        settings.web_form_requests_per_minute / 60, settings.web_form_burst
    )
    app.add_middleware(FormBodyLimit, max_bytes=settings.web_form_max_body_bytes)
