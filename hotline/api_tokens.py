"""``hotline tokens``: create, list and revoke role tokens (the plaintext is shown once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis

from access.roles import ROLES
from hotline.settings import Settings
from storage.api_tokens import ApiTokenStore, StoredToken

__all__ = ["create_token", "list_tokens", "revoke_token"]

T = TypeVar("T")


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


async def revoke_token(settings: Settings, token_id: str) -> bool:
    return await _with_store(settings, lambda store: store.revoke(token_id))
