"""``hotline bench queries``: the analytics queries over millions of stored complaints, median and p95.

The complaints are generated inside ClickHouse (from ``numbers()``, see ``bench_data``) into a
database of their own (``<database>_bench``), so the real data is never touched and loading 10
million rows takes a minute or two rather than hours through the pipeline. They go through the
same migrations and materialized views as real rows, so the rollups are filled exactly as in
production. A database already holding the requested number of rows is reused (``--reload`` forces
a fresh load). The synthetic rows and their shape: :mod:`storage.clickhouse.bench_data`.
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
from storage.clickhouse.bench_data import latest_received_at, load_bench_data, stored_rows
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.server_admin import drop_database, server_version

__all__ = ["load_bench_data", "run_queries_bench"]

log = logging.getLogger(__name__)

#: A bulk load statement may run long; queries are timed separately.
LOAD_TIMEOUT_S = 900.0
WARMUP_RUNS = 2
TARGET_MS = 200.0


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
        stored = stored_rows(executor, "complaints")
        load_s = None
        if reload or stored != complaints:
            log.info("loading %d complaints into %s (found %d)", complaints, database, stored)
            drop_database(executor, database)
            executor = _bench_executor(settings, database)
            apply_migrations(executor)
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            load_s = round(load_bench_data(executor, complaints=complaints, days=days, end=end), 1)
        end = latest_received_at(executor) + timedelta(seconds=1)
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
        version = server_version(executor)
        stored = stored_rows(executor, "complaints")
        tickets = stored_rows(executor, "ticket_events")
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
