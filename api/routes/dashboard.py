"""The dashboard page (static; it authenticates its own API and websocket calls with a token)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(tags=["dashboard"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page holds no data; the browser asks for a token before it connects."""
    return HTMLResponse(files("api").joinpath("static/index.html").read_text(encoding="utf-8"))
