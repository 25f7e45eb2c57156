"""``/docs``: the OpenAPI page with Swagger UI served from this server (``api/static/vendor``).

FastAPI's own page loads Swagger UI from a CDN; a bank's network has none, so the page would stay
blank there. ReDoc (also CDN-only) is off.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_VENDOR = "/static/vendor/swagger-ui"


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Hotline Monitor API",
        swagger_js_url=f"{_VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{_VENDOR}/swagger-ui.css",
        swagger_favicon_url=f"{_VENDOR}/favicon-32x32.png",
    )
