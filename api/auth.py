"""Bearer-token check for HTTP and websockets (browsers cannot set websocket headers: ``?token=``)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, WebSocket, WebSocketException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep

__all__ = ["TokenRequired", "require_token", "require_ws_token"]

_bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer <token>`")


def _valid(settings: SettingsDep, presented: str | None) -> bool:
    expected = settings.api_token.get_secret_value() if settings.api_token else None
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def require_token(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries the API token."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API token: send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not _valid(settings, credentials.credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid API token", headers={"WWW-Authenticate": "Bearer"}
        )


async def require_ws_token(
    websocket: WebSocket,
    settings: SettingsDep,
    token: Annotated[str | None, Query(description="API token (websockets cannot send headers)")] = None,
) -> None:
    """Close with 1008 (policy violation) unless the token comes as ``?token=`` or a bearer header."""
    presented = token
    header = websocket.headers.get("authorization", "")
    if presented is None and header.lower().startswith("bearer "):
        presented = header[7:]
    if not _valid(settings, presented):
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "missing or invalid API token")


TokenRequired = Depends(require_token)
