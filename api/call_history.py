"""What ClickHouse knows of ended calls, for the call routes deciding whether a call id is free."""

from __future__ import annotations

import asyncio
import logging

from storage.clickhouse.analytics_pool import ExecutorPool
from storage.clickhouse.call_queries import existing_call_ids

__all__ = ["call_ended_in_clickhouse"]

log = logging.getLogger(__name__)


async def call_ended_in_clickhouse(pool: ExecutorPool, call_id: str) -> bool:
    """Whether ClickHouse holds the call (it ended longer ago than Redis remembers).

    False when ClickHouse cannot answer: its outage must not stop live calls or uploads.
    """
    try:
        return bool(await asyncio.to_thread(pool.run, existing_call_ids, [call_id]))
    except Exception as exc:
        log.warning("cannot check call %s in ClickHouse: %s", call_id, exc)
        return False
