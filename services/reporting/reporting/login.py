"""Signing in to the dashboard in a browser: the page takes a token or API key once and keeps
it in an HttpOnly session cookie, which the dashboard (a read-only page) accepts."""

from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ticketflow_shared.access.guard import SESSION_COOKIE
from ticketflow_shared.access.keys import InvalidKey
from ticketflow_shared.access.tokens import InvalidToken

LOGIN_PATH = "/login"
SESSION_SECONDS = 8 * 3600
MAX_FORM_BYTES = 16_384

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ticketflow · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:15px/1.4 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
textarea{{width:100%;font:13px monospace}}.error{{color:#b42318}}</style></head>
<body><h1>ticketflow reporting</h1>
<p>Paste your access token (from your identity provider) or an API key.</p>
{error}
<form method="post" action="{action}">
<textarea name="token" rows="6" required autofocus></textarea>
<p><button type="submit">Sign in</button></p></form></body></html>"""


def _page(error: str = "", status: int = 200) -> HTMLResponse:
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    return HTMLResponse(_PAGE.format(error=message, action=LOGIN_PATH), status_code=status)


@router.get(LOGIN_PATH)
async def login_form() -> HTMLResponse:
    return _page()


@router.post(LOGIN_PATH)
async def login(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _page("That is too long for a token.", 413)
    form = parse_qs(body.decode("utf-8", errors="replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        await request.app.state.access.control.identify(token)
    except (InvalidToken, InvalidKey) as exc:
        return _page(f"Not signed in: {exc}", 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
