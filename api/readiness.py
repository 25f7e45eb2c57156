"""What ``/readyz`` checks: each dependency answers, with the reason when one does not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from hotline.local_services.processes import port_open
from storage.clickhouse import DriverExecutor
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["CHECK_TIMEOUT_S", "check_readiness"]

#: Each check's own limit, so one hung dependency is reported rather than hanging the probe.
CHECK_TIMEOUT_S = 3.0


async def check_readiness(state: Any) -> dict[str, str]:
    """``{"broker": "ok" | reason, "redis": ..., "clickhouse": ..., "model": ...}``, checked at once."""
    settings = state.settings
    host, port = settings.kafka_host_port
    names = ("broker", "redis", "clickhouse", "model")
    results = await asyncio.gather(
        _check(_broker(host, port)),
        _check(_redis(state.redis)),
        _check(asyncio.to_thread(_clickhouse_ping, settings.clickhouse_url)),
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
    return None if await asyncio.to_thread(port_open, host, port) else f"unreachable at {host}:{port}"


async def _redis(redis: Any) -> None:
    await redis.ping()


async def _model(redis: Any, key_prefix: str) -> str | None:
    version = await ModelRegistry(redis, key_prefix=key_prefix).version(TAGGER_MODEL_NAME)
    return None if version else "no model yet: run `hotline models bootstrap FILE`"


def _clickhouse_ping(url: str) -> None:
    DriverExecutor.from_url(url, connect_timeout=2).execute("SELECT 1")
