"""``hotline bench queries``: the analytics queries over millions of stored complaints, median and p95.

The complaints are generated inside ClickHouse (``INSERT ... SELECT`` from ``numbers()``) into a
database of their own (``<database>_bench``), so the real data is never touched and loading 10
million rows takes a minute or two rather than hours through the pipeline. They go through the
same migrations and materialized views as real rows, so the rollups are filled exactly as in
production. A database already holding the requested number of rows is reused (``--reload`` forces
a fresh load).

Synthetic shape: received times spread over ``days`` with a daily curve, three tag dimensions with
skewed tags (77 intents, 10 business lines, 12 causes), 7 channels (the simulator's mix), 40
branches, 3 lines, ~3% regulator-forwarded; ticket events (responded/resolved/closed, some late) for every
regulator-forwarded complaint and one in ten others.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from config.settings import Settings
from storage.clickhouse import DriverExecutor, apply_migrations
from storage.clickhouse.analytics_deadlines import deadline_compliance, regulator_cases
from storage.clickhouse.analytics_exports import daily_figures
from storage.clickhouse.analytics_series import volume_series
from storage.clickhouse.analytics_topics import branch_tag_matrix, hot_tags
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.schema import COMPLAINT_COLUMNS

__all__ = ["load_bench_data", "run_queries_bench"]

log = logging.getLogger(__name__)

#: Rows per INSERT ... SELECT: bounds the server's memory for the views' GROUP BY.
LOAD_CHUNK = 500_000
#: A bulk load statement may run long; queries are timed separately.
LOAD_TIMEOUT_S = 900.0
WARMUP_RUNS = 2
TARGET_MS = 200.0

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


def _bench_executor(settings: Settings, database: str) -> DriverExecutor:
    base = settings.clickhouse_url.rsplit("/", 1)[0]
    return DriverExecutor.from_url(f"{base}/{database}", send_receive_timeout=LOAD_TIMEOUT_S)


def _queries(end: datetime) -> dict[str, Callable[[ClickHouseExecutor], Any]]:
    """Name -> query, each as the dashboard and API run them (``now`` is the end of the data)."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    intents = {"banking77": ("intent_0", "intent_5", "intent_40")}
    return {
        "series_total_6h": lambda e: volume_series(e, since=end - 6 * hour, until=end),
        "series_tags_6h": lambda e: volume_series(e, since=end - 6 * hour, until=end, tags=intents),
        "series_tags_7d": lambda e: volume_series(e, since=end - 7 * day, until=end, tags=intents),
        "series_tags_30d": lambda e: volume_series(e, since=end - 30 * day, until=end, tags=intents),
        "hot_tags_1h": lambda e: hot_tags(e, since=end - hour, until=end, limit=10),
        "hot_tags_24h": lambda e: hot_tags(e, since=end - day, until=end, limit=10),
        "hot_tags_7d_growth": lambda e: hot_tags(e, since=end - 7 * day, until=end, order="growth"),
        "branch_tag_matrix_24h": lambda e: branch_tag_matrix(
            e, dimension="banking77", since=end - day, until=end
        ),
        "branch_tag_matrix_7d": lambda e: branch_tag_matrix(
            e, dimension="banking77", since=end - 7 * day, until=end
        ),
        "deadline_compliance_30d": lambda e: deadline_compliance(e, since=end - 30 * day, until=end, now=end),
        "deadline_compliance_7d_regulator": lambda e: deadline_compliance(
            e, since=end - 7 * day, until=end, now=end, regulator_only=True
        ),
        "regulator_cases_60d": lambda e: regulator_cases(e, since=end - 60 * day, now=end, limit=200),
        "daily_summary": lambda e: daily_figures(e, since=end - day, until=end, now=end),
    }


def _timings(fn: Callable[[ClickHouseExecutor], Any], executor: ClickHouseExecutor, runs: int) -> list[float]:
    for _ in range(WARMUP_RUNS):
        fn(executor)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn(executor)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run_queries_bench(
    settings: Settings, *, complaints: int, days: int, runs: int, reload: bool
) -> dict[str, Any]:
    """Load (or reuse) the bench database and time every analytics query ``runs`` times."""
    database = f"{settings.clickhouse_database}_bench"
    executor = _bench_executor(settings, database)
    try:
        apply_migrations(executor)
        stored = int(executor.execute("SELECT count() FROM complaints")[0][0])
        load_s = None
        if reload or stored != complaints:
            log.info("loading %d complaints into %s (found %d)", complaints, database, stored)
            executor.execute(f"DROP DATABASE IF EXISTS {database}")
            executor = _bench_executor(settings, database)
            apply_migrations(executor)
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            load_s = round(load_bench_data(executor, complaints=complaints, days=days, end=end), 1)
        latest = executor.execute("SELECT max(received_at) FROM complaints")[0][0]
        end = latest.astimezone(UTC) + timedelta(seconds=1)
        results: dict[str, dict[str, float]] = {}
        for name, fn in _queries(end).items():
            timings = _timings(fn, executor, runs)
            ordered = sorted(timings)
            results[name] = {
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
                "max_ms": round(ordered[-1], 1),
            }
            log.info("%s: median %.1f ms", name, results[name]["median_ms"])
        version = executor.execute("SELECT version()")[0][0]
        stored = int(executor.execute("SELECT count() FROM complaints")[0][0])
        tickets = int(executor.execute("SELECT count() FROM ticket_events")[0][0])
    finally:
        executor.close()
    return {
        "bench": "queries",
        "clickhouse_version": version,
        "database": database,
        "complaints": stored,
        "ticket_events": tickets,
        "days": days,
        "runs": runs,
        "load_s": load_s,
        "target_ms": TARGET_MS,
        "all_p95_under_target": all(r["p95_ms"] < TARGET_MS for r in results.values()),
        "queries": results,
    }
