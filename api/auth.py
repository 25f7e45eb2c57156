"""Token checks for HTTP and websockets (browsers cannot set websocket headers: ``?token=``).

Every route but ``/healthz`` depends on one of these: ``require(permission)`` admits the roles the
matrix in :mod:`access.roles` gives that permission (admin always), 403 naming the role and what it
lacks otherwise. ``TokenRequired`` admits any valid token (only for what every role may do).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Query, WebSocket, WebSocketException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from access.roles import ACCESS, Permission, Principal
from access.token_resolver import TokenResolver

__all__ = [
    "CurrentPrincipal",
    "TokenRequired",
    "forbidden",
    "lacks_message",
    "require",
    "require_token",
    "require_ws_token",
]

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


def lacks_message(principal: Principal, permission: Permission) -> str:
    """Why ``principal`` is refused ``permission``: its role, what it lacks, who has it."""
    what, roles = ACCESS[permission]
    holders = ", ".join(sorted({*roles, "admin"}))
    return (
        f"role {principal.role!r} lacks the {permission!r} permission ({what}); roles that have it: {holders}"
    )


def forbidden(message: str) -> HTTPException:
    """A 403 with ``message`` (which names the role and what it may not see)."""
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


def require(permission: Permission, *, websocket: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the roles that hold ``permission``: 403 (websocket: close 1008)
    with a message naming the role and what it lacks otherwise."""

    def _check(principal: Principal) -> Principal:
        if not principal.may(permission):
            message = lacks_message(principal, permission)
            if websocket:
                raise WebSocketException(status.WS_1008_POLICY_VIOLATION, message)
            raise forbidden(message)
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
