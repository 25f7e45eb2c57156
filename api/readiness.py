"""What ``/readyz`` checks: each dependency answers, with the reason when one does not."""

from __future__ import annotations

import asyncio
from typing import Any

from hotline.local_services.processes import port_open
from storage.clickhouse import DriverExecutor
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["check_readiness"]


async def check_readiness(state: Any) -> dict[str, str]:
    """``{"broker": "ok" | reason, "redis": ..., "clickhouse": ..., "model": ...}``."""
    settings = state.settings
    checks: dict[str, str] = {}
    host, port = settings.kafka_host_port
    checks["broker"] = (
        "ok" if await asyncio.to_thread(port_open, host, port) else f"unreachable at {host}:{port}"
    )
    try:
        await state.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    try:
        await asyncio.to_thread(_clickhouse_ping, settings.clickhouse_url)
        checks["clickhouse"] = "ok"
    except Exception as exc:
        checks["clickhouse"] = f"unreachable: {type(exc).__name__}"
    try:
        version = await ModelRegistry(state.redis, key_prefix=settings.redis_key_prefix).version(
            TAGGER_MODEL_NAME
        )
        checks["model"] = "ok" if version else "no model yet: run `hotline models bootstrap FILE`"
    except Exception as exc:
        checks["model"] = f"unknown: {type(exc).__name__}"
    return checks


def _clickhouse_ping(url: str) -> None:
    DriverExecutor.from_url(url, connect_timeout=2).execute("SELECT 1")
