"""The dashboard: a static page and its assets (no data; the browser authenticates its own calls).

Assets are served from ``api/static`` by an explicit allow-list of suffixes, with a strict
Content-Security-Policy: scripts and styles only from this origin, so even a customer's text that
slipped into the DOM as markup could not run.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import PurePosixPath

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse, Response

__all__ = ["CONTENT_SECURITY_POLICY", "router"]

router = APIRouter(tags=["dashboard"])

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
    " connect-src 'self' ws: wss:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'self'"
)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page holds no data; the browser asks for a token before it connects."""
    page = files("api").joinpath("static/index.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers={**_HEADERS, "Cache-Control": "no-cache"})


@router.get("/static/{path:path}", include_in_schema=False)
async def static_asset(path: str) -> Response:
    """A file under ``api/static`` with an allowed suffix; 404 for anything else."""
    parts = PurePosixPath(path).parts
    suffix = PurePosixPath(path).suffix
    if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts) or suffix not in _TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such asset")
    resource = files("api").joinpath("static", *parts)
    if not resource.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such asset")
    return Response(
        resource.read_bytes(),
        media_type=_TYPES[suffix],
        headers={**_HEADERS, "Cache-Control": "no-cache"},
    )
