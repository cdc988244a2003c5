"""Thin HTTP routes for self-service: the page an acknowledgement's article link opens
(GET /help?t=…) and its button (POST /help/solved?t=…), which solves the ticket. Open like
the web form: the signed link is the credential, and each address has the form's budget.
A GET never changes anything (mail scanners follow links); only the button's POST solves."""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from intake import self_service
from intake.api import Tickets
from intake.domain.self_service import MAX_TOKEN_CHARS, PAGE_PATH, SOLVED_PATH
from intake.self_service import HelpPage
from intake.web_form import PAGE_HEADERS, Budgeted
from ticketflow_shared.errors import Refusal

OPEN_PATHS = (PAGE_PATH, SOLVED_PATH)
Token = Annotated[str, Query(alias="t", min_length=1, max_length=MAX_TOKEN_CHARS)]

help_router = APIRouter(tags=["self-service"], dependencies=Budgeted)


@help_router.get(
    PAGE_PATH,
    summary="The page a suggested article's link opens: the article, and a button to close",
    response_class=HTMLResponse,
    responses={404: {"description": "Not a valid link"}, 410: {"description": "Link expired"}},
)
async def help_page(t: Token, request: Request, tickets: Tickets) -> Response:
    try:
        page = await self_service.open_link(t, _links(request), tickets, _articles(request))
    except Refusal as refused:
        return _refusal_page(refused)
    return _html(_article_page(page))


@help_router.post(
    SOLVED_PATH,
    summary="The customer says the article solved their problem: the ticket is solved",
    responses={
        200: {"description": "Solved (or solved already): a page, or JSON when asked for"},
        404: {"description": "Not a valid link"},
        410: {"description": "Link expired"},
    },
)
async def solved(t: Token, request: Request, tickets: Tickets) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        page = await self_service.solve(t, _links(request), tickets, _articles(request))
    except Refusal as refused:
        if wants_json:
            return JSONResponse({"detail": str(refused)}, status_code=refused.status)
        return _refusal_page(refused)
    if wants_json:
        return JSONResponse({"ticket_id": page.ticket_id, "status": "solved"})
    return _html(_thanks_page(page))


def _links(request: Request):
    return getattr(request.app.state, "self_service_links", None)


def _articles(request: Request):
    return request.app.state.knowledge


def _html(body: str, status: int = 200) -> HTMLResponse:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>ticketflow help</title><link rel="stylesheet" href="form/form.css">'
        f"</head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def _request_line(page: HelpPage) -> str:
    return (
        f'<p>Your request <span class="reference">{escape(page.ticket_id)}</span>: '
        f"{escape(page.subject)}</p>"
    )


def _article_page(page: HelpPage) -> str:
    if page.body is None:
        text = "<p>This article is no longer available.</p>"
    else:
        text = "".join(f"<p>{escape(part)}</p>" for part in page.body.split("\n\n") if part)
    action = (
        "<p>Your request is solved or closed already: thank you.</p>"
        if page.done
        else (
            f'<form method="post" action="help/solved?t={escape(page.token)}">'
            "<button>This solved my problem: close my request</button></form>"
            "<p>Still need help? Reply to our email and an agent will pick it up.</p>"
        )
    )
    return f"<h1>{escape(page.title)}</h1>{text}<hr>{_request_line(page)}{action}"


def _thanks_page(page: HelpPage) -> str:
    return (
        "<h1>Glad it helped</h1>"
        f"{_request_line(page)}"
        "<p>We closed your request as solved. If the problem comes back, reply to our email "
        "and we will open it again.</p>"
    )


def _refusal_page(refused: Refusal) -> HTMLResponse:
    return _html(f"<h1>Sorry</h1><p>{escape(str(refused).capitalize())}.</p>", refused.status)
