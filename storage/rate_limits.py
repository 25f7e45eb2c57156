"""Fixed one-second windows of ingest per token in Redis, shared by every API process.

Fails open: while Redis is unreachable every request is allowed (and the outage logged once), because
ingest needs only the broker and a Redis restart must not turn complaints away.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["IngestRateLimiter"]

log = logging.getLogger(__name__)


class IngestRateLimiter:
    """``allow(token_id, n)``: whether ``n`` more items fit in this second's budget of ``per_s``."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, per_s: int) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.per_s = per_s
        self.unchecked = 0  # items let through since Redis became unreachable

    async def allow(self, token_id: str, n: int = 1) -> bool:
        if self.per_s <= 0:
            return True
        key = f"{self.key_prefix}:ratelimit:ingest:{token_id}:{int(time.time())}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incrby(key, n)
                pipe.expire(key, 2)
                used, _ = await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if not self.unchecked:
                log.warning("ingest rate limit not enforced while Redis is unreachable (%r)", exc)
            self.unchecked += n
            return True
        if self.unchecked:
            log.info(
                "ingest rate limit enforced again; %d item(s) were let through meanwhile", self.unchecked
            )
            self.unchecked = 0
        return int(used) <= self.per_s
