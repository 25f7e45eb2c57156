"""Progress markers of the leader's alert timers, kept in Redis so a new leader carries on.

Keys (under the prefix passed in): ``<prefix>:alerts:progress:<name>`` - a number (e.g. the last
bucket of a volume rule that was handed to the detectors).
"""

from __future__ import annotations

import redis.asyncio as aioredis

__all__ = ["AlertCursors"]


class AlertCursors:
    """Named numeric cursors."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def key(self, name: str) -> str:
        return f"{self.key_prefix}:alerts:progress:{name}"

    async def get(self, name: str) -> int | None:
        raw = await self.redis.get(self.key(name))
        return int(raw) if raw is not None else None

    async def set(self, name: str, value: int) -> None:
        await self.redis.set(self.key(name), int(value))

    async def forget(self, name: str) -> None:
        await self.redis.delete(self.key(name))
