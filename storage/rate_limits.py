"""One-second windows of ingest per token in Redis, shared by every API process.

The counting is the ``limits`` library's fixed window (one ``EVALSHA`` of an INCRBY-and-EXPIRE script
per request) on the API's own Redis connection pool. Fails open: while Redis is unreachable every
request is allowed (and the outage logged once), because ingest needs only the broker and a Redis
restart must not turn complaints away.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["IngestRateLimiter"]

log = logging.getLogger(__name__)


class IngestRateLimiter:
    """``allow(token_id, n)``: whether ``n`` more items fit in this second's budget of ``per_s``."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, per_s: int) -> None:
        self.key_prefix = key_prefix
        self.per_s = per_s
        self.unchecked = 0  # items let through since Redis became unreachable
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            # No second pool: the API client's.
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits types kwargs as scalars
            key_prefix=f"{key_prefix}:ratelimit",
        )
        self._windows = FixedWindowRateLimiter(storage)

    async def allow(self, token_id: str, n: int = 1) -> bool:
        if self.per_s <= 0:
            return True
        try:
            allowed = await self._windows.hit(
                RateLimitItemPerSecond(self.per_s, namespace="ingest"), token_id, cost=n
            )
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
        return allowed
