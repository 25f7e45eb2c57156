"""DDL of ``audit_log``: who changed what through the API or the CLI, appended to the migrations.

One row per action (a rules change, an export, a token created or revoked, a label, an alert
acknowledged or resolved, a silence set or ended), never updated or deleted: a plain MergeTree, so
a row written twice would show twice (the writer writes each once, after the action succeeded).
ClickHouse 18.16 has no DateTime64, so the moment is ``at`` (seconds) plus ``at_ms``; ``date`` is
the UTC day of ``at``. Partitioned by month; retention (``hotline retention``) leaves it alone: an
audit trail outlives the data it speaks of, and is dropped by hand a month at a time if ever.
"""

from __future__ import annotations

__all__ = ["AUDIT_LOG_COLUMNS", "AUDIT_LOG_DDL"]

#: Insert order of ``audit_log``.
AUDIT_LOG_COLUMNS: tuple[str, ...] = (
    "entry_id",
    "at",
    "at_ms",
    "date",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "target",
    "detail",
    "client",
    "request_id",
)

AUDIT_LOG_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    entry_id String,
    at DateTime('UTC'),
    at_ms UInt16,
    date Date,
    actor_id String,
    actor_name String,
    role String,
    action String,
    target String,
    detail String,
    client String,
    request_id String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, at, entry_id)
"""
