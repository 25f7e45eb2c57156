"""The ingest rate limit on the real Redis, and while Redis is unreachable (it fails open)."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as aioredis

from storage.rate_limits import IngestRateLimiter
from tests.conftest import Stack, free_port, scratch_redis

pytestmark = pytest.mark.services


async def test_budget_per_second_is_enforced(stack: Stack) -> None:
    async with scratch_redis(stack.settings.redis_url, "ratelimit") as (client, prefix):
        limiter = IngestRateLimiter(client, key_prefix=prefix, per_s=1_000_000)
        assert await limiter.allow("t", 10)
        limiter.per_s = 5
        assert not await limiter.allow("t", 6)  # over budget in this second or the next one
        assert await limiter.allow("other-token", 5)


async def test_unreachable_redis_lets_ingest_through_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    limiter = IngestRateLimiter(client, key_prefix="x", per_s=1)
    try:
        with caplog.at_level(logging.WARNING, logger="storage.rate_limits"):
            assert all([await limiter.allow("t", 5) for _ in range(3)])
        assert limiter.unchecked == 15
        assert len([r for r in caplog.records if "not enforced" in r.getMessage()]) == 1
    finally:
        await client.aclose()
