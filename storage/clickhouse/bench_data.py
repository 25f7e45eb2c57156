"""Synthetic complaints and ticket events for ``hotline bench queries``, generated inside ClickHouse.

Rows come from ``INSERT ... SELECT`` over ``numbers()``, so millions load in a minute or two rather
than hours through the pipeline; they go through the same materialized views as real rows.

Synthetic shape: received times spread over ``days`` with a daily curve, three tag dimensions with
skewed tags (77 intents, 10 business lines, 12 causes), 7 channels (the simulator's mix), 40
branches, 3 lines, ~3% regulator-forwarded; ticket events (responded/resolved/closed, some late) for every
regulator-forwarded complaint and one in ten others.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.schema import COMPLAINT_COLUMNS
from storage.clickhouse.sql_literals import quote_identifier

__all__ = ["LOAD_CHUNK", "latest_received_at", "load_bench_data", "stored_rows"]

log = logging.getLogger(__name__)

#: Rows per INSERT ... SELECT: bounds the server's memory for the views' GROUP BY.
LOAD_CHUNK = 500_000

# Per-row expressions over `number` (n) and the parameters start, span and total.
_RECEIVED = (
    "toDateTime(%(start)s + intDiv(number * %(span)s, %(total)s) + (cityHash64(number, 1) %% 600) - 300)"
)
_COMPLAINT_SELECT = f"""
SELECT
    concat('bench-', toString(number)) AS event_id,
    {_RECEIVED} AS received_at,
    received_at AS classified_at,
    multiIf(cityHash64(number, 2) %% 100 < 40, 'phone', cityHash64(number, 2) %% 100 < 60, 'app',
            cityHash64(number, 2) %% 100 < 75, 'web', cityHash64(number, 2) %% 100 < 87, 'wechat',
            cityHash64(number, 2) %% 100 < 92, 'email', cityHash64(number, 2) %% 100 < 98, 'branch',
            'regulator') AS channel,
    concat('branch-', toString(cityHash64(number, 3) %% 40)) AS branch,
    ['95555-1', '95555-2', '95555-vip'][(cityHash64(number, 4) %% 3) + 1] AS line,
    '' AS product_hint,
    hex(cityHash64(number, 5)) AS customer_ref_hash,
    toUInt8(channel = 'regulator' OR cityHash64(number, 6) %% 100 = 0) AS regulator_forwarded,
    if(regulator_forwarded = 1, concat('12378-', toString(number)), '') AS regulator_ref,
    concat('synthetic complaint number ', toString(number)) AS text,
    ['banking77', 'business_line', 'cause'] AS tag_dimensions,
    [
        concat('intent_', toString(toUInt32(pow((cityHash64(number, 7) %% 1000) / 1000, 2) * 77))),
        concat('line_', toString(toUInt32(pow((cityHash64(number, 8) %% 1000) / 1000, 2) * 10))),
        concat('cause_', toString(toUInt32(pow((cityHash64(number, 9) %% 1000) / 1000, 2) * 12)))
    ] AS tags,
    [toFloat32(0.9), toFloat32(0.8), toFloat32(0.7)] AS tag_confidences,
    ['model', 'model', 'model'] AS tag_sources,
    'bench' AS model_version,
    toFloat32((cityHash64(number, 10) %% 100) / 100) AS risk,
    [toFloat32((cityHash64(number, 11) %% 1000) / 1000), toFloat32(0.5), toFloat32(0.4)] AS tag_margins
FROM (SELECT number + %(offset)s AS number FROM numbers(%(count)s))
"""
# (``numbers(offset, count)`` is newer than 18.16, hence the subquery adding the offset.)
_COMPLAINT_INSERT = f"INSERT INTO complaints ({', '.join(COMPLAINT_COLUMNS)})" + _COMPLAINT_SELECT
# Milestones of a ticket, offsets in seconds: response 5-95 min, resolution 6-66 h, decision 1-19 days.
_TICKET_INSERT = """
INSERT INTO ticket_events (event_id, complaint_id, kind, at, received_at, regulator_forwarded, regulator_ref)
SELECT concat(event_id, '-', kind), event_id, kind, received_at + delay, received_at,
       regulator_forwarded, regulator_ref
FROM complaints
ARRAY JOIN
    ['responded', 'resolved', 'closed'] AS kind,
    [300 + cityHash64(event_id, 1) %% 5400, 21600 + cityHash64(event_id, 2) %% 216000,
     86400 + cityHash64(event_id, 3) %% 1555200] AS delay
WHERE (regulator_forwarded = 1 OR cityHash64(event_id) %% 10 = 0)
  AND received_at + delay < %(end)s
"""


def load_bench_data(executor: ClickHouseExecutor, *, complaints: int, days: int, end: datetime) -> float:
    """Generate ``complaints`` rows over the ``days`` before ``end``; returns the seconds it took."""
    started = time.monotonic()
    span = days * 86400
    start = int(end.timestamp()) - span
    for offset in range(0, complaints, LOAD_CHUNK):
        count = min(LOAD_CHUNK, complaints - offset)
        executor.execute(
            _COMPLAINT_INSERT,
            {"start": start, "span": span, "total": complaints, "offset": offset, "count": count},
        )
        log.info("loaded %d of %d complaints", offset + count, complaints)
    executor.execute(_TICKET_INSERT, {"end": end})
    log.info("loaded ticket events in %.1f s total", time.monotonic() - started)
    return time.monotonic() - started


def stored_rows(executor: ClickHouseExecutor, table: str) -> int:
    """How many rows ``table`` holds."""
    return int(executor.execute(f"SELECT count() FROM {quote_identifier(table)}")[0][0])


def latest_received_at(executor: ClickHouseExecutor) -> datetime:
    """When the newest stored complaint was received, in UTC."""
    latest: datetime = executor.execute("SELECT max(received_at) FROM complaints")[0][0]
    return latest.astimezone(UTC)
