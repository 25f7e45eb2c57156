"""Retention by dropping whole partitions: cheap (no rewrite) and exact, unlike row deletes.

Raw tables (complaints, ticket events: by day; the regulator cases, labels: by month) keep ``raw_days``;
rollups (by month) keep ``rollup_days``. A partition goes once all of it is older than that.
Rollups are small, so they usually outlive the raw rows they summarise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage.clickhouse.analytics_filters import Moment, as_utc
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.sql_literals import quote_identifier

__all__ = ["RAW_TABLES", "ROLLUP_TABLES", "ExpiredPartition", "apply_retention", "expired_partitions"]

log = logging.getLogger(__name__)

#: Tables of raw rows (kept ``raw_days``; partitioned by day or month, told by the partition value).
RAW_TABLES: tuple[str, ...] = ("complaints", "ticket_events", "regulator_complaints", "complaint_labels")
#: Rollups (kept ``rollup_days``; partitioned by month).
ROLLUP_TABLES: tuple[str, ...] = (
    *(
        f"complaint_{kind}_{when}"
        for kind in ("counts", "totals", "tags")
        for when in ("minute", "hour", "day")
    ),
    "complaint_branch_tags_hour",
    "complaint_branch_tags_day",
    "ticket_milestones_hour",
)


@dataclass(frozen=True, slots=True)
class ExpiredPartition:
    """A partition whose every row is older than its table's retention."""

    table: str
    partition: str
    last_day: date


def _last_day(partition: str) -> date | None:
    """Last calendar day a ``YYYYMMDD`` or ``YYYYMM`` partition value covers (None if neither).

    Examples
    --------
    >>> _last_day("20240301"), _last_day("202402"), _last_day("x")
    (datetime.date(2024, 3, 1), datetime.date(2024, 2, 29), None)
    """
    if not partition.isdigit():
        return None
    if len(partition) == 8:
        return date(int(partition[:4]), int(partition[4:6]), int(partition[6:]))
    if len(partition) == 6:
        year, month = int(partition[:4]), int(partition[4:])
        first_next = date(year + month // 12, month % 12 + 1, 1)
        return first_next - timedelta(days=1)
    return None


def expired_partitions(
    executor: ClickHouseExecutor, *, now: Moment, raw_days: int, rollup_days: int
) -> list[ExpiredPartition]:
    """Partitions of our tables that lie wholly before ``now - raw_days`` (raw) / ``rollup_days``."""
    if raw_days < 1 or rollup_days < 1:
        raise ValueError("retention must keep at least one day")
    moment = as_utc(now)
    keep = {table: raw_days for table in RAW_TABLES} | {table: rollup_days for table in ROLLUP_TABLES}
    rows = executor.execute(
        "SELECT DISTINCT table, partition FROM system.parts"
        " WHERE database = %(database)s AND active AND table IN %(tables)s ORDER BY table, partition",
        {"database": executor.database, "tables": tuple(keep)},
    )
    expired = []
    for table, partition in rows:
        value = str(partition).strip("'")
        last = _last_day(value)
        if last is None:
            log.warning("retention: partition %s of %s is not a date: skipped", value, table)
            continue
        cutoff = (moment - timedelta(days=keep[str(table)])).date()
        if last < cutoff:
            expired.append(ExpiredPartition(str(table), value, last))
    return expired


def apply_retention(
    executor: ClickHouseExecutor,
    *,
    now: Moment | None = None,
    raw_days: int,
    rollup_days: int,
    dry_run: bool = False,
) -> list[ExpiredPartition]:
    """Drop every expired partition (or only list them with ``dry_run``); returns them."""
    moment = now if now is not None else datetime.now(UTC)
    expired = expired_partitions(executor, now=moment, raw_days=raw_days, rollup_days=rollup_days)
    for item in expired:
        if dry_run:
            continue
        # The partition value is digits only (checked by _last_day), so it is safe as a literal.
        executor.execute(f"ALTER TABLE {quote_identifier(item.table)} DROP PARTITION {item.partition}")
        log.info("retention: dropped partition %s of %s", item.partition, item.table)
    return expired
