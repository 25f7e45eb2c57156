"""How the dev tools reach the running API: its token, an authorized HTTP client and websocket URLs."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from config.settings import Settings

__all__ = ["api_client", "api_token", "auth_headers", "call_url", "ws_url"]


def api_token(settings: Settings) -> str:
    """The configured API token (``HOTLINE_API_TOKEN``); ``""`` when none is set (the API answers 401)."""
    return settings.api_token.get_secret_value() if settings.api_token else ""


def auth_headers(settings: Settings) -> dict[str, str]:
    """``Authorization: Bearer <token>`` with the configured token."""
    return {"Authorization": f"Bearer {api_token(settings)}"}


def api_client(
    settings: Settings, *, timeout: float = 10.0, limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    """An async client on ``settings.api_url`` that sends the token with every request.

    Examples
    --------
    >>> client = api_client(Settings(_env_file=None, api_token="t0k"))
    >>> client.headers["authorization"], str(client.base_url).startswith("http://")
    ('Bearer t0k', True)
    """
    if limits is None:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own default
    return httpx.AsyncClient(
        base_url=settings.api_url, headers=auth_headers(settings), timeout=timeout, limits=limits
    )


def ws_url(settings: Settings, path: str, **query: str) -> str:
    """``ws://host:port<path>?token=...`` (the API's websockets take the token as a query parameter).

    Examples
    --------
    >>> settings = Settings(_env_file=None, api_token="t0k", api_host="127.0.0.1", api_port=8000)
    >>> ws_url(settings, "/ws/alerts", role="oncall")
    'ws://127.0.0.1:8000/ws/alerts?token=t0k&role=oncall'
    """
    params = urlencode({"token": api_token(settings), **query})
    return f"ws://{settings.api_host}:{settings.api_port}{path}?{params}"


def call_url(settings: Settings, call_id: str) -> str:
    """The ``/ws/calls/<call_id>`` websocket a live call streams its audio to."""
    return ws_url(settings, f"/ws/calls/{call_id}")
