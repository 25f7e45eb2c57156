"""ClickHouse schema as ordered migrations, each applied once and recorded in ``schema_migrations``.

Every step is idempotent (``IF NOT EXISTS``; a new column is an :class:`AddColumn`, skipped when
the column is there, because 18.16 has no ``ADD COLUMN IF NOT EXISTS``), so two processes racing
through :func:`apply_migrations` end in the same schema; the record table is a ReplacingMergeTree so
a doubly recorded version is harmless. SQL here must run on ClickHouse 18.16 and on a current
server: no LowCardinality, DateTime64, TTL or toStartOfInterval.

Layout:

- ``complaints``: one row per classified complaint (tags as parallel arrays), partitioned by day so
  retention drops whole partitions (``ALTER TABLE complaints DROP PARTITION 20240101``).
  ReplacingMergeTree on ``(hour, event_id)`` is only a backstop: it merges duplicates eventually and
  never un-counts them from the rollups, which is why :class:`ComplaintSink` dedups before insert.
- ``complaint_counts_minute``: per minute, dimension, tag, channel, branch and line; kept by a
  materialized view with ARRAY JOIN over the tag arrays.
- ``complaint_totals_minute``: per minute, channel, branch and line, whatever the tags (a complaint
  with no tag still counts here).
- ``complaints.tag_margins`` (migration 12): per tag, the model's best minus runner-up probability,
  aligned with ``tags``; :data:`~storage.clickhouse.complaint_row.NO_MARGIN` (-1) where a keyword
  rule or a remembered label decided; empty in rows stored before the column existed.
- ``complaint_labels`` (migration 13): every label the API accepted (``label_schema.py``).

Rollup rows are partial sums until merged: always read them with ``sum(...) GROUP BY``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.clickhouse.alert_schema import ALERT_STATEMENTS
from storage.clickhouse.analytics_schema import (
    DAY_ROLLUP_STATEMENTS,
    HOUR_ROLLUP_STATEMENTS,
    REGULATOR_STATEMENTS,
    TAG_ROLLUP_STATEMENTS,
    TICKET_STATEMENTS,
    counts_rollup,
    totals_rollup,
)
from storage.clickhouse.audit_schema import AUDIT_LOG_DDL
from storage.clickhouse.call_schema import CALLS_DDL, UTTERANCES_DDL
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.label_schema import COMPLAINT_LABELS_DDL
from storage.clickhouse.sql_literals import quote_identifier

__all__ = [
    "COMPLAINT_COLUMNS",
    "MIGRATIONS",
    "AddColumn",
    "Migration",
    "applied_versions",
    "apply_migrations",
    "missing_migrations",
]

log = logging.getLogger(__name__)

# Insert order of ``complaints`` (``risk`` and ``tag_margins`` last: columns added after the first
# release, with defaults, that old rows lack).
COMPLAINT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "received_at",
    "classified_at",
    "channel",
    "branch",
    "line",
    "product_hint",
    "customer_ref_hash",
    "regulator_forwarded",
    "regulator_ref",
    "text",
    "tag_dimensions",
    "tags",
    "tag_confidences",
    "tag_sources",
    "model_version",
    "risk",
    "tag_margins",
)


@dataclass(frozen=True, slots=True)
class AddColumn:
    """``ALTER TABLE table ADD COLUMN column type [AFTER after]``, run only when the column is missing.

    ClickHouse 18.16 has no ``ADD COLUMN IF NOT EXISTS``: :func:`apply_migrations` looks the column up
    in ``system.columns`` first, and a failure because a racing process added it meanwhile is not one.
    Rows stored before get the type's default (an empty array, 0, ``''``).

    Examples
    --------
    >>> AddColumn("complaints", "tag_margins", "Array(Float32)", after="tag_sources").sql
    'ALTER TABLE `complaints` ADD COLUMN `tag_margins` Array(Float32) AFTER `tag_sources`'
    """

    table: str
    column: str
    type: str
    after: str | None = None

    @property
    def sql(self) -> str:
        after = f" AFTER {quote_identifier(self.after)}" if self.after else ""
        return (
            f"ALTER TABLE {quote_identifier(self.table)} ADD COLUMN {quote_identifier(self.column)}"
            f" {self.type}{after}"
        )


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``version`` orders it, ``name`` is what :func:`apply_migrations` reports."""

    version: int
    name: str
    statements: tuple[str | AddColumn, ...]


_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version
"""

_COMPLAINTS = """
CREATE TABLE IF NOT EXISTS complaints (
    event_id String,
    received_at DateTime('UTC'),
    classified_at DateTime('UTC'),
    channel String,
    branch String,
    line String,
    product_hint String,
    customer_ref_hash String,
    regulator_forwarded UInt8,
    regulator_ref String,
    text String,
    tag_dimensions Array(String),
    tags Array(String),
    tag_confidences Array(Float32),
    tag_sources Array(String),
    model_version String,
    risk Float32 DEFAULT 0
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (toStartOfHour(received_at), event_id)
"""

# The minute rollups: the first ones, so nothing to backfill from (the hour and day ones are built
# the same way in analytics_schema.py).
_COUNTS_MINUTE = counts_rollup("minute")
_TOTALS_MINUTE = totals_rollup("minute")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "0001_complaints", (_COMPLAINTS,)),
    Migration(2, "0002_complaint_counts_minute", (_COUNTS_MINUTE.create, _COUNTS_MINUTE.view)),
    Migration(3, "0003_complaint_totals_minute", (_TOTALS_MINUTE.create, _TOTALS_MINUTE.view)),
    # Analytics (issue 6): hour/day rollups and the ticket milestones; DDL in analytics_schema.py.
    Migration(4, "0004_complaint_rollups_hour", HOUR_ROLLUP_STATEMENTS),
    Migration(5, "0005_complaint_rollups_day", DAY_ROLLUP_STATEMENTS),
    Migration(6, "0006_ticket_events", TICKET_STATEMENTS),
    # Alerts (issue 5): every event of every alert; DDL in alert_schema.py.
    Migration(7, "0007_alert_events", ALERT_STATEMENTS),
    # Live call transcription (issue 4): calls and their utterances; DDL in call_schema.py.
    Migration(8, "0008_calls", (CALLS_DDL,)),
    Migration(9, "0009_utterances", (UTTERANCES_DDL,)),
    # Analytics (issue 6): slim per-tag rollups and the regulator tracker's table.
    Migration(10, "0010_tag_rollups", TAG_ROLLUP_STATEMENTS),
    Migration(11, "0011_regulator_complaints", REGULATOR_STATEMENTS),
    # Review queue (issue 11): how sure the model was of each tag, and the labels staff gave.
    Migration(
        12,
        "0012_complaint_tag_margins",
        (AddColumn("complaints", "tag_margins", "Array(Float32)", after="tag_sources"),),
    ),
    Migration(13, "0013_complaint_labels", (COMPLAINT_LABELS_DDL,)),
    # Two-channel calls (issue 14): who said each utterance ('' on older rows: a mono call's).
    Migration(14, "0014_utterance_speaker", (AddColumn("utterances", "speaker", "String", after="text"),)),
    # Audit log (issue 15): who changed what, one row per action; DDL in audit_schema.py.
    Migration(15, "0015_audit_log", (AUDIT_LOG_DDL,)),
)


def applied_versions(executor: ClickHouseExecutor) -> set[int]:
    """Versions recorded in ``schema_migrations`` (creating that table if needed)."""
    executor.execute(_MIGRATIONS_TABLE)
    return {int(version) for (version,) in executor.execute("SELECT DISTINCT version FROM schema_migrations")}


def apply_migrations(
    executor: ClickHouseExecutor, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Apply the migrations not yet recorded, in version order; return the names applied now."""
    versions = [migration.version for migration in migrations]
    if versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be unique and increasing: {versions}")
    done = applied_versions(executor)
    applied: list[str] = []
    for migration in migrations:
        if migration.version in done:
            continue
        for statement in migration.statements:
            _run(executor, statement)
        executor.insert(
            "schema_migrations",
            ("version", "name", "applied_at"),
            [(migration.version, migration.name, datetime.now(UTC))],
        )
        log.info("applied ClickHouse migration %s on %r", migration.name, executor)
        applied.append(migration.name)
    if not applied:
        log.debug("ClickHouse schema on %r is current (version %d)", executor, max(done, default=0))
    return applied


def _run(executor: ClickHouseExecutor, statement: str | AddColumn) -> None:
    if isinstance(statement, str):
        executor.execute(statement)
        return
    if _has_column(executor, statement.table, statement.column):
        return
    try:
        executor.execute(statement.sql)
    except Exception:
        if not _has_column(executor, statement.table, statement.column):
            raise
        log.debug("column %s.%s was added meanwhile", statement.table, statement.column)


def _has_column(executor: ClickHouseExecutor, table: str, column: str) -> bool:
    rows = executor.execute(
        "SELECT count() FROM system.columns"
        " WHERE database = %(database)s AND table = %(table)s AND name = %(column)s",
        {"database": executor.database, "table": table, "column": column},
    )
    return bool(rows and rows[0][0])


def missing_migrations(
    executor: ClickHouseExecutor, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Names of the migrations not yet recorded, without changing anything (for writers to check).

    A writer must not insert before the rollup views exist: rows inserted earlier are never counted.
    """
    if not executor.execute("EXISTS TABLE schema_migrations")[0][0]:
        return [migration.name for migration in migrations]
    done = {int(version) for (version,) in executor.execute("SELECT DISTINCT version FROM schema_migrations")}
    return [migration.name for migration in migrations if migration.version not in done]
