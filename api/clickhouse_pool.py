"""The API's one ClickHouse pool (``ClickHouseDep``) and the way routes query it.

The pool is made in the app's lifespan but connects on first use: an API whose ClickHouse is down
at start still starts, and its ClickHouse routes answer 503 until it is back. The first connection
applies the migrations (idempotent, as workers do at start), so every route answers before any
worker ran, and a fresh database reads as empty rather than missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import HTTPException, status

from api.time_ranges import invalid_query
from config.settings import Settings
from storage.clickhouse import DriverExecutor, apply_migrations
from storage.clickhouse.analytics_pool import ExecutorPool

__all__ = ["clickhouse_pool", "run_query"]

log = logging.getLogger(__name__)

R = TypeVar("R")

#: Longest wait for a connection: a live call checks ClickHouse before it opens, and must not
#: wait long for a server that is down.
CONNECT_TIMEOUT_S = 2.0


def clickhouse_pool(settings: Settings) -> ExecutorPool:
    """Up to ``HOTLINE_STATS_POOL_SIZE`` executors on ``settings.clickhouse_url``, made on demand."""
    return ExecutorPool(partial(_connect, settings.clickhouse_url, set()), settings.stats_pool_size)


def _connect(url: str, migrated: set[str]) -> DriverExecutor:
    """An executor on a database with the current schema (the first one applies the migrations)."""
    executor = DriverExecutor.from_url(url, connect_timeout=CONNECT_TIMEOUT_S)
    if url not in migrated:
        try:
            apply_migrations(executor)
        except Exception:
            executor.close()
            raise
        migrated.add(url)
    return executor


async def run_query(
    pool: ExecutorPool, fn: Callable[..., R], *args: Any, unavailable: str = "ClickHouse", **kwargs: Any
) -> R:
    """``fn(executor, *args, **kwargs)`` in a thread; ValueError -> 422, anything else -> 503
    ("``unavailable`` is unavailable")."""
    try:
        return await asyncio.to_thread(pool.run, fn, *args, **kwargs)
    except ValueError as exc:
        raise invalid_query(None, str(exc)) from exc
    except Exception as exc:
        first_line = (str(exc).splitlines() or [""])[0][:200]
        log.warning("query %s failed: %s: %s", getattr(fn, "__name__", fn), type(exc).__name__, first_line)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"{unavailable} is unavailable; retry",
            headers={"Retry-After": "5"},
        ) from exc
