"""DDL of the alert history, appended to the migrations in ``schema.py``.

``alert_events`` holds one row per event in an alert's life (fired, updated, acknowledged, resolved,
escalated), each with the alert as it stood after the event (``payload``, JSON) and the columns the
alert list filters on. ``version`` orders an alert's events (it is the Redis stream entry id as one
number); ReplacingMergeTree on ``(alert_id, version)`` makes archiving an event twice harmless. The
current state of an alert is its row with the highest version (see ``alert_queries``).
"""

from __future__ import annotations

__all__ = ["ALERT_EVENT_COLUMNS", "ALERT_STATEMENTS"]

ALERT_EVENT_COLUMNS: tuple[str, ...] = (
    "alert_id",
    "version",
    "stream_id",
    "event",
    "event_at",
    "rule_id",
    "kind",
    "severity",
    "status",
    "regulator",
    "escalated",
    "audiences",
    "title",
    "reason",
    "dimension",
    "tag",
    "complaint_id",
    "call_id",
    "occurrences",
    "fired_at",
    "acked_by",
    "payload",
)

_ALERT_EVENTS = """
CREATE TABLE IF NOT EXISTS alert_events (
    alert_id String,
    version UInt64,
    stream_id String,
    event String,
    event_at DateTime('UTC'),
    rule_id String,
    kind String,
    severity String,
    status String,
    regulator UInt8,
    escalated UInt8,
    audiences Array(String),
    title String,
    reason String,
    dimension String,
    tag String,
    complaint_id String,
    call_id String,
    occurrences UInt32,
    fired_at DateTime('UTC'),
    acked_by String,
    payload String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(fired_at)
ORDER BY (alert_id, version)
"""

ALERT_STATEMENTS: tuple[str, ...] = (_ALERT_EVENTS,)
