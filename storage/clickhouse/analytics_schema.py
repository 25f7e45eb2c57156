"""DDL of the analytics rollups and of the ticket milestones, appended to the migrations in ``schema.py``.

Hour and day rollups are fed straight from ``complaints`` by their own materialized views (not
chained from the minute rollup), so each is exact by itself. A migration that adds a view to a
database that already holds complaints backfills the new table from the minute rollup first, once
(only while the new table is empty), then creates the view: a writer must not insert during the
migration (the complaint sink refuses to write until every migration is recorded).

Ticket events (the deadline clock of each complaint) live in ``ticket_events``; one row per event,
written idempotently by event id by whoever runs the SLA clock. ``received_at`` is the complaint's
reception time, carried on every event so that deadlines need no join with ``complaints``.
Milestone kinds: ``responded`` (first response, 60 min target), ``resolved`` (48 h), ``closed``
(the bank's decision communicated: the 15-day regulatory limit, or ``limit_days`` when extended).
The other kinds (``assigned``, ``paused``, ``resumed``, ``extended``) are kept for the per-complaint
tracker. A writer emits each milestone once per complaint and puts on it ``paused_s``, the seconds the
clock was paused before it, so the rollup can measure the elapsed business time.

``ticket_milestones_hour`` counts milestones per hour of reception, kind and elapsed-time bucket
(1 min up to 2 h, 1 h up to 72 h, 1 day beyond): any target that is a whole number of those
buckets (60 min, 48 h, 15/30/60 days) is answered exactly from it, whatever the target is set to.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BRANCH_TAGS_TABLES",
    "BUCKET_COLUMNS",
    "COUNTS_TABLES",
    "DAY_ROLLUP_STATEMENTS",
    "HOUR_ROLLUP_STATEMENTS",
    "MILESTONE_KINDS",
    "REGULATOR_STATEMENTS",
    "TAGS_TABLES",
    "TAG_ROLLUP_STATEMENTS",
    "TICKET_EVENT_COLUMNS",
    "TICKET_EVENT_KINDS",
    "TICKET_STATEMENTS",
    "TOTALS_TABLES",
    "Rollup",
    "counts_rollup",
    "totals_rollup",
]

#: Rollup granularity -> time column of its tables.
BUCKET_COLUMNS: dict[str, str] = {"minute": "minute", "hour": "hour", "day": "day"}
COUNTS_TABLES: dict[str, str] = {
    "minute": "complaint_counts_minute",
    "hour": "complaint_counts_hour",
    "day": "complaint_counts_day",
}
TOTALS_TABLES: dict[str, str] = {
    "minute": "complaint_totals_minute",
    "hour": "complaint_totals_hour",
    "day": "complaint_totals_day",
}
#: Slim rollups, per tag only: what hot topics and unfiltered series read (far fewer rows).
TAGS_TABLES: dict[str, str] = {
    "minute": "complaint_tags_minute",
    "hour": "complaint_tags_hour",
    "day": "complaint_tags_day",
}
#: Per branch and tag: what the branch x tag matrix reads.
BRANCH_TAGS_TABLES: dict[str, str] = {
    "hour": "complaint_branch_tags_hour",
    "day": "complaint_branch_tags_day",
}

TICKET_EVENT_KINDS: tuple[str, ...] = (
    "assigned",
    "responded",
    "paused",
    "resumed",
    "resolved",
    "closed",
    "extended",
)
#: Kinds the compliance rollup counts, in deadline order.
MILESTONE_KINDS: tuple[str, ...] = ("responded", "resolved", "closed")

TICKET_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "complaint_id",
    "kind",
    "at",
    "received_at",
    "regulator_forwarded",
    "regulator_ref",
    "paused_s",
    "limit_days",
    "actor",
    "note",
)


#: Rollup granularity -> the ClickHouse function that truncates a time to its bucket.
_STARTS = {"minute": "toStartOfMinute", "hour": "toStartOfHour", "day": "toStartOfDay"}


class Rollup(NamedTuple):
    """The DDL of one rollup, in the order a migration runs it: the table, a one-off backfill from the
    minute rollup (for a database that already holds complaints), and the view that feeds it."""

    create: str
    backfill: str
    view: str


def counts_rollup(granularity: str) -> Rollup:
    """The per-tag counts (``complaint_counts_<granularity>``); the minute one has no backfill to run.

    Examples
    --------
    >>> print(counts_rollup("minute").view.strip().splitlines()[0])
    CREATE MATERIALIZED VIEW IF NOT EXISTS complaint_counts_minute_mv TO complaint_counts_minute AS
    """
    table, column, start = COUNTS_TABLES[granularity], BUCKET_COLUMNS[granularity], _STARTS[granularity]
    create = f"""
CREATE TABLE IF NOT EXISTS {table} (
    {column} DateTime('UTC'),
    dimension String,
    tag String,
    channel String,
    branch String,
    line String,
    complaints UInt64
) ENGINE = SummingMergeTree((complaints))
PARTITION BY toYYYYMM({column})
ORDER BY (dimension, tag, {column}, channel, branch, line)
"""
    backfill = f"""
INSERT INTO {table} ({column}, dimension, tag, channel, branch, line, complaints)
SELECT {start}(minute) AS b, dimension, tag, channel, branch, line, sum(complaints)
FROM complaint_counts_minute
WHERE (SELECT count() FROM {table}) = 0
GROUP BY b, dimension, tag, channel, branch, line
"""
    view = f"""
CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_mv TO {table} AS
SELECT
    {start}(received_at) AS {column},
    dimension,
    tag,
    channel,
    branch,
    line,
    count() AS complaints
FROM complaints
ARRAY JOIN tag_dimensions AS dimension, tags AS tag
GROUP BY {column}, dimension, tag, channel, branch, line
"""
    return Rollup(create, backfill, view)


def totals_rollup(granularity: str) -> Rollup:
    """The all-tags totals (``complaint_totals_<granularity>``, regulator-forwarded counted apart)."""
    table, column, start = TOTALS_TABLES[granularity], BUCKET_COLUMNS[granularity], _STARTS[granularity]
    create = f"""
CREATE TABLE IF NOT EXISTS {table} (
    {column} DateTime('UTC'),
    channel String,
    branch String,
    line String,
    complaints UInt64,
    regulator_complaints UInt64
) ENGINE = SummingMergeTree((complaints, regulator_complaints))
PARTITION BY toYYYYMM({column})
ORDER BY ({column}, channel, branch, line)
"""
    backfill = f"""
INSERT INTO {table} ({column}, channel, branch, line, complaints, regulator_complaints)
SELECT {start}(minute) AS b, channel, branch, line, sum(complaints), sum(regulator_complaints)
FROM complaint_totals_minute
WHERE (SELECT count() FROM {table}) = 0
GROUP BY b, channel, branch, line
"""
    view = f"""
CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_mv TO {table} AS
SELECT
    {start}(received_at) AS {column},
    channel,
    branch,
    line,
    count() AS complaints,
    sum(toUInt64(regulator_forwarded)) AS regulator_complaints
FROM complaints
GROUP BY {column}, channel, branch, line
"""
    return Rollup(create, backfill, view)


HOUR_ROLLUP_STATEMENTS: tuple[str, ...] = (*counts_rollup("hour"), *totals_rollup("hour"))
DAY_ROLLUP_STATEMENTS: tuple[str, ...] = (*counts_rollup("day"), *totals_rollup("day"))

_TICKET_EVENTS = """
CREATE TABLE IF NOT EXISTS ticket_events (
    event_id String,
    complaint_id String,
    kind String,
    at DateTime('UTC'),
    received_at DateTime('UTC'),
    regulator_forwarded UInt8,
    regulator_ref String,
    paused_s UInt32 DEFAULT 0,
    limit_days UInt16 DEFAULT 0,
    actor String DEFAULT '',
    note String DEFAULT ''
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (toStartOfHour(received_at), complaint_id, kind, event_id)
"""

_MILESTONES_HOUR = """
CREATE TABLE IF NOT EXISTS ticket_milestones_hour (
    hour DateTime('UTC'),
    regulator_forwarded UInt8,
    kind String,
    limit_days UInt16,
    elapsed_bucket_s UInt32,
    reached UInt64
) ENGINE = SummingMergeTree((reached))
PARTITION BY toYYYYMM(hour)
ORDER BY (kind, hour, regulator_forwarded, limit_days, elapsed_bucket_s)
"""

# Elapsed business time rounded UP to its bucket: 1 min up to 2 h, 1 h up to 72 h, 1 day beyond.
_ELAPSED = "toUInt32(greatest(toInt64(at) - toInt64(received_at) - toInt64(paused_s), 0))"
_MILESTONES_HOUR_MV = f"""
CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_milestones_hour_mv TO ticket_milestones_hour AS
SELECT
    toStartOfHour(received_at) AS hour,
    regulator_forwarded,
    kind,
    limit_days,
    toUInt32(multiIf(
        {_ELAPSED} <= 7200, intDiv({_ELAPSED} + 59, 60) * 60,
        {_ELAPSED} <= 259200, intDiv({_ELAPSED} + 3599, 3600) * 3600,
        intDiv({_ELAPSED} + 86399, 86400) * 86400
    )) AS elapsed_bucket_s,
    count() AS reached
FROM ticket_events
WHERE kind IN ('responded', 'resolved', 'closed')
GROUP BY hour, regulator_forwarded, kind, limit_days, elapsed_bucket_s
"""

TICKET_STATEMENTS: tuple[str, ...] = (_TICKET_EVENTS, _MILESTONES_HOUR, _MILESTONES_HOUR_MV)


def _slim(
    table: str, column: str, start: str, keys: tuple[str, ...], *, time_first: bool
) -> tuple[str, str, str]:
    """A per-tag rollup keyed by ``keys`` only: table, backfill from the minute rollup, view.

    ``time_first`` sorts by time before the keys (reads of every tag in a range); otherwise by
    dimension and tag first (reads of a few tags over a long range).
    """
    key_columns = "".join(f"    {key} String,\n" for key in keys)
    names = ", ".join(keys)
    order = f"{column}, {names}" if time_first else f"dimension, tag, {column}, {', '.join(keys[2:])}"
    create = f"""
CREATE TABLE IF NOT EXISTS {table} (
    {column} DateTime('UTC'),
{key_columns}    complaints UInt64
) ENGINE = SummingMergeTree((complaints))
PARTITION BY toYYYYMM({column})
ORDER BY ({order})
"""
    backfill = f"""
INSERT INTO {table} ({column}, {names}, complaints)
SELECT {start}(minute) AS b, {names}, sum(complaints)
FROM complaint_counts_minute
WHERE (SELECT count() FROM {table}) = 0
GROUP BY b, {names}
"""
    view = f"""
CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_mv TO {table} AS
SELECT {start}(received_at) AS {column}, {names}, count() AS complaints
FROM complaints
ARRAY JOIN tag_dimensions AS dimension, tags AS tag
GROUP BY {column}, {names}
"""
    return create, backfill, view


TAG_ROLLUP_STATEMENTS: tuple[str, ...] = (
    *(
        statement
        for granularity, table in TAGS_TABLES.items()
        for statement in _slim(
            table, BUCKET_COLUMNS[granularity], _STARTS[granularity], ("dimension", "tag"), time_first=True
        )
    ),
    *(
        statement
        for granularity, table in BRANCH_TAGS_TABLES.items()
        for statement in _slim(
            table,
            BUCKET_COLUMNS[granularity],
            _STARTS[granularity],
            ("dimension", "tag", "branch"),
            time_first=False,
        )
    ),
)

# Regulator-forwarded complaints alone, with what the tracker shows: a small table the tracker
# reads instead of scanning every complaint.
_REGULATOR_COMPLAINTS = """
CREATE TABLE IF NOT EXISTS regulator_complaints (
    event_id String,
    received_at DateTime('UTC'),
    channel String,
    branch String,
    regulator_ref String,
    excerpt String,
    tags Array(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_at, event_id)
"""
_REGULATOR_BACKFILL = """
INSERT INTO regulator_complaints
SELECT event_id, received_at, channel, branch, regulator_ref, substringUTF8(text, 1, 160), tags
FROM complaints
WHERE regulator_forwarded = 1 AND (SELECT count() FROM regulator_complaints) = 0
"""
_REGULATOR_COMPLAINTS_MV = """
CREATE MATERIALIZED VIEW IF NOT EXISTS regulator_complaints_mv TO regulator_complaints AS
SELECT event_id, received_at, channel, branch, regulator_ref, substringUTF8(text, 1, 160) AS excerpt, tags
FROM complaints
WHERE regulator_forwarded = 1
"""
REGULATOR_STATEMENTS: tuple[str, ...] = (_REGULATOR_COMPLAINTS, _REGULATOR_BACKFILL, _REGULATOR_COMPLAINTS_MV)
