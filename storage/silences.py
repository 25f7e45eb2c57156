"""Silences in Redis, so that every worker (on any host) mutes the same alerts.

Keys (under the prefix passed in):

- ``<prefix>:silences`` - a hash: silence id -> the silence as JSON (:class:`alerts.Silence`).

An expired silence stays listed for :data:`KEEP_EXPIRED_S` (who muted what, and why, is asked
after an incident) and is then dropped when the list is read.
"""

from __future__ import annotations

import time

import orjson
import redis.asyncio as aioredis

from alerts.silences import Silence

__all__ = ["KEEP_EXPIRED_S", "SilenceStore"]

#: How long an expired silence is still listed.
KEEP_EXPIRED_S = 7 * 24 * 3600


class SilenceStore:
    """Create, list and end silences."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key = f"{key_prefix}:silences"

    async def put(self, silence: Silence) -> None:
        await self.redis.hset(self.key, silence.id, orjson.dumps(silence.model_dump(mode="json")))

    async def get(self, silence_id: str) -> Silence | None:
        raw = await self.redis.hget(self.key, silence_id)
        return Silence.model_validate_json(raw) if raw else None

    async def all(self, *, now: float | None = None) -> list[Silence]:
        """Every silence, newest start first; long-expired ones are dropped on the way."""
        now = time.time() if now is None else now
        raw = await self.redis.hgetall(self.key)
        silences = [Silence.model_validate_json(value) for value in raw.values()]
        stale = [s.id for s in silences if s.ends_at < now - KEEP_EXPIRED_S]
        if stale:
            await self.redis.hdel(self.key, *stale)
        return sorted((s for s in silences if s.id not in stale), key=lambda s: s.starts_at, reverse=True)

    async def expire(self, silence_id: str, *, by: str, now: float | None = None) -> Silence | None:
        """End a silence now (it stays listed, expired); None when there is no such silence."""
        silence = await self.get(silence_id)
        if silence is None:
            return None
        now = time.time() if now is None else now
        if silence.ends_at > now:
            ends = max(now, silence.starts_at + 0.001)  # a pending one ends before it began
            silence = silence.model_copy(update={"ends_at": ends, "expired_by": by})
            await self.put(silence)
        return silence
