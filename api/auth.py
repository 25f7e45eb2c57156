"""Token checks for HTTP and websockets (browsers cannot set websocket headers: ``?token=``).

Every route but ``/healthz`` depends on one of these. ``TokenRequired`` admits any valid token;
``require_roles(...)`` admits only the roles named (admin always).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Query, WebSocket, WebSocketException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from api.roles import Principal, Role
from api.token_resolver import TokenResolver

__all__ = ["CurrentPrincipal", "TokenRequired", "require_roles", "require_token", "require_ws_token"]

_bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer <token>`")


def _resolver(connection: HTTPConnection) -> TokenResolver:
    return connection.app.state.tokens


async def require_token(
    connection: HTTPConnection,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, or 401 without a valid token."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API token: send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await _resolver(connection).resolve(credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid API token", headers={"WWW-Authenticate": "Bearer"}
        )
    connection.state.principal = principal
    return principal


async def require_ws_token(
    websocket: WebSocket,
    token: Annotated[str | None, Query(description="API token (websockets cannot send headers)")] = None,
) -> Principal:
    """The caller, or a close with 1008 (policy violation) without a valid token."""
    presented = token
    header = websocket.headers.get("authorization", "")
    if presented is None and header.lower().startswith("bearer "):
        presented = header[7:]
    principal = await _resolver(websocket).resolve(presented)
    if principal is None:
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "missing or invalid API token")
    websocket.state.principal = principal
    return principal


def require_roles(*roles: Role, websocket: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (and admin): 403 naming the role otherwise."""
    allowed = {*roles, "admin"}

    def _check(principal: Principal) -> Principal:
        if principal.role not in allowed:
            message = f"role {principal.role!r} may not do this; needs one of {sorted(allowed)}"
            if websocket:
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, message)
            raise HTTPException(status.HTTP_403_FORBIDDEN, message)
        return principal

    if websocket:

        async def ws_dependency(principal: Annotated[Principal, Depends(require_ws_token)]) -> Principal:
            return _check(principal)

        return ws_dependency

    async def dependency(principal: Annotated[Principal, Depends(require_token)]) -> Principal:
        return _check(principal)

    return dependency


TokenRequired = Depends(require_token)
CurrentPrincipal = Annotated[Principal, Depends(require_token)]
