"""``hotline tokens``: create, list and revoke role tokens (the plaintext is shown once).

Creating and revoking are recorded in the audit trail (``audit_log``) as done by ``cli:<login>``
from ``cli:<host>``: whoever can run the CLI against the stack's Redis is its admin.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import redis.asyncio as aioredis

from access.roles import ROLES
from config.settings import Settings
from storage.api_tokens import ApiTokenStore, StoredToken
from storage.clickhouse import DriverExecutor, apply_migrations
from storage.clickhouse.audit_log import AuditEntry, record_audit

__all__ = ["audit_token_action", "create_token", "list_tokens", "revoke_token"]

T = TypeVar("T")

#: Longest wait for ClickHouse when recording a token action (the action is done by then).
AUDIT_CONNECT_TIMEOUT_S = 3.0


async def _with_store(settings: Settings, action: Callable[[ApiTokenStore], Awaitable[T]]) -> T:
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        return await action(ApiTokenStore(client, key_prefix=settings.redis_key_prefix))
    finally:
        await client.aclose()


async def create_token(settings: Settings, *, name: str, role: str) -> tuple[StoredToken, str]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not name.strip():
        raise ValueError("a token needs a name saying who or what uses it")
    return await _with_store(settings, lambda store: store.create(name=name.strip(), role=role))


async def list_tokens(settings: Settings) -> list[StoredToken]:
    return await _with_store(settings, lambda store: store.list())


async def revoke_token(settings: Settings, token_id: str) -> StoredToken | None:
    """Revoke ``token_id``; the token it was, or None when there is no such token."""

    async def revoke(store: ApiTokenStore) -> StoredToken | None:
        stored = await store.get(token_id)
        return stored if stored is not None and await store.revoke(token_id) else None

    return await _with_store(settings, revoke)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment or the password database
        return "unknown"


def audit_token_action(settings: Settings, action: str, token_id: str, detail: Mapping[str, Any]) -> None:
    """Record ``action`` ('token.create', 'token.revoke') on ``token_id`` in the audit trail (applying
    the migrations first, as every writer does); raises when ClickHouse is unreachable."""
    entry = AuditEntry(
        actor_id="",
        actor_name=f"cli:{_login()}",
        role="admin",
        action=action,
        target=token_id,
        detail=dict(detail),
        client=f"cli:{socket.gethostname()}",
    )
    executor = DriverExecutor.from_url(settings.clickhouse_url, connect_timeout=AUDIT_CONNECT_TIMEOUT_S)
    try:
        apply_migrations(executor)
        record_audit(executor, entry)
    finally:
        executor.close()
