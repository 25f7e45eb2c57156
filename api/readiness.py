"""What ``/readyz`` checks: each dependency answers, with the reason when one does not."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry
from storage.readiness_probes import clickhouse_answers

__all__ = ["CHECK_TIMEOUT_S", "check_readiness"]

#: Each check's own limit, so one hung dependency is reported rather than hanging the probe.
CHECK_TIMEOUT_S = 3.0
#: Longest wait for the broker to accept a TCP connection.
BROKER_CONNECT_TIMEOUT_S = 0.5


async def check_readiness(state: Any) -> dict[str, str]:
    """``{"broker": "ok" | reason, "redis": ..., "clickhouse": ..., "model": ...}``, checked at once.

    ``state`` is the app's: its settings and the clients built in the lifespan.
    """
    settings = state.settings
    host, port = settings.kafka_host_port
    names = ("broker", "redis", "clickhouse", "model")
    results = await asyncio.gather(
        _check(_broker(host, port)),
        _check(_redis(state.redis)),
        _check(asyncio.to_thread(state.clickhouse.run, clickhouse_answers)),
        _check(_model(state.redis, settings.redis_key_prefix)),
    )
    return dict(zip(names, results, strict=True))


async def _check(probe: Awaitable[str | None]) -> str:
    try:
        problem = await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_S:.0f} s"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return problem or "ok"


async def _broker(host: str, port: int) -> str | None:
    """None when something accepts TCP connections at the broker's address."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), BROKER_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError):
        return f"unreachable at {host}:{port}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


async def _redis(redis: Any) -> None:
    await redis.ping()


async def _model(redis: Any, key_prefix: str) -> str | None:
    version = await ModelRegistry(redis, key_prefix=key_prefix).version(TAGGER_MODEL_NAME)
    return None if version else "no model yet: run `hotline models bootstrap FILE`"
