"""Fixed one-second windows of ingest per token in Redis, shared by every API process."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

__all__ = ["IngestRateLimiter"]


class IngestRateLimiter:
    """``allow(token_id, n)``: whether ``n`` more items fit in this second's budget of ``per_s``."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, per_s: int) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.per_s = per_s

    async def allow(self, token_id: str, n: int = 1) -> bool:
        if self.per_s <= 0:
            return True
        key = f"{self.key_prefix}:ratelimit:ingest:{token_id}:{int(time.time())}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incrby(key, n)
            pipe.expire(key, 2)
            used, _ = await pipe.execute()
        return int(used) <= self.per_s
