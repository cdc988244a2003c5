"""/docs (Swagger UI) and /redoc served with their own assets, so they work without internet.

FastAPI's own pages load their scripts from a CDN; these are the same pages (FastAPI's
self-hosting recipe) pointing at the files `fastapi-offline` ships, mounted under
`ASSETS_URL` and left out of the OpenAPI schema.
"""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
ASSETS = files("fastapi_offline") / "static"


def serve_docs(app: FastAPI) -> None:
    """Add the docs pages to an app built with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")

    def asset(request: Request, name: str) -> str:
        return local(request, f"{ASSETS_URL}/{name}")

    def openapi_url(request: Request) -> str:
        return local(request, str(app.openapi_url))

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url(request),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=local(request, OAUTH2_REDIRECT_URL),
            swagger_js_url=asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=asset(request, "swagger-ui.css"),
            swagger_favicon_url=asset(request, "favicon.png"),
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url(request),
            title=f"{app.title} - ReDoc",
            redoc_js_url=asset(request, "redoc.standalone.js"),
            redoc_favicon_url=asset(request, "favicon.png"),
            with_google_fonts=False,
        )


def local(request: Request, path: str) -> str:
    """A path on this service, behind whatever prefix a proxy mounts it under."""
    return f"{request.scope.get('root_path', '')}{path}"
