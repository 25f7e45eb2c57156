"""DDL of the call tables (issue 4); the migrations that create them are listed in ``schema.py``.

- ``calls``: one row per ended call: metadata, how it ended, the whole transcript and the
  ``voice`` complaint it became. Partitioned by the day the call started.
- ``utterances``: one row per final utterance: text, word timings as parallel arrays, and its
  escalation risk. Partitioned by the day its call started, so one call's rows sit together, and
  ordered by ``(call_id, seq)``.

Both are ReplacingMergeTree on their natural key as the last backstop against redelivered rows; the
sinks already drop duplicates before inserting, and reads take one row per key (``LIMIT 1 BY``).
SQL valid on ClickHouse 18.16 and a current server.
"""

from __future__ import annotations

__all__ = ["CALLS_DDL", "CALL_COLUMNS", "UTTERANCES_DDL", "UTTERANCE_COLUMNS"]

CALL_COLUMNS: tuple[str, ...] = (
    "call_id",
    "source",
    "started_at",
    "ended_at",
    "end_reason",
    "line",
    "branch",
    "customer_ref_hash",
    "regulator_forwarded",
    "regulator_ref",
    "sample_rate",
    "audio_seconds",
    "utterance_count",
    "max_risk",
    "transcript",
    "complaint_event_id",
)

UTTERANCE_COLUMNS: tuple[str, ...] = (
    "utterance_id",
    "call_id",
    "seq",
    "call_started_at",
    "recognized_at",
    "start_s",
    "end_s",
    "text",
    "speaker",
    "words",
    "word_starts",
    "word_ends",
    "word_confidences",
    "confidence",
    "risk",
    "risk_level",
    "risk_terms",
    "source",
    "line",
    "branch",
    "regulator_forwarded",
)

CALLS_DDL = """
CREATE TABLE IF NOT EXISTS calls (
    call_id String,
    source String,
    started_at DateTime('UTC'),
    ended_at DateTime('UTC'),
    end_reason String,
    line String,
    branch String,
    customer_ref_hash String,
    regulator_forwarded UInt8,
    regulator_ref String,
    sample_rate UInt32,
    audio_seconds Float32,
    utterance_count UInt32,
    max_risk Float32,
    transcript String,
    complaint_event_id String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(started_at)
ORDER BY (toStartOfHour(started_at), call_id)
"""

UTTERANCES_DDL = """
CREATE TABLE IF NOT EXISTS utterances (
    utterance_id String,
    call_id String,
    seq UInt32,
    call_started_at DateTime('UTC'),
    recognized_at DateTime('UTC'),
    start_s Float32,
    end_s Float32,
    text String,
    words Array(String),
    word_starts Array(Float32),
    word_ends Array(Float32),
    word_confidences Array(Float32),
    confidence Float32,
    risk Float32,
    risk_level String,
    risk_terms Array(String),
    source String,
    line String,
    branch String,
    regulator_forwarded UInt8
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(call_started_at)
ORDER BY (call_id, seq)
"""
