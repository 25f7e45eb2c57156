"""The call tables (issue 4) on the 18.16 server and on chdb: DDL, idempotent sinks and reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from storage.clickhouse import ClickHouseExecutor, apply_migrations
from storage.clickhouse.call_queries import (
    existing_call_ids,
    existing_utterance_ids,
    recent_calls,
    stored_call,
    stored_utterances,
)
from storage.clickhouse.call_rows import normalize_call, normalize_utterance
from storage.clickhouse.call_sink import CallSink, UtteranceSink

Connect = Callable[[], ClickHouseExecutor]
STARTED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def schema(clickhouse_connect: Connect) -> ClickHouseExecutor:
    executor = clickhouse_connect()
    apply_migrations(executor)
    return executor


def _call(call_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "call_id": call_id,
        "source": "live",
        "started_at": STARTED,
        "ended_at": STARTED + 95.5,
        "end_reason": "eof",
        "line": "card-line",
        "branch": "sh-01",
        "customer_ref_hash": "h" * 32,
        "regulator_forwarded": True,
        "regulator_ref": "12378-1",
        "sample_rate": 8000,
        "audio_seconds": 95.25,
        "utterance_count": 2,
        "max_risk": 0.79,
        "transcript": "카드가 도착하지 않았어요 금융감독원에 민원을 넣겠습니다",
        "complaint_event_id": f"call-{call_id}",
    }
    return {**row, **overrides}


def _utterance(call_id: str, seq: int, text: str, **overrides: Any) -> dict[str, Any]:
    words = text.split()
    row = {
        "utterance_id": f"{call_id}:{seq}",
        "call_id": call_id,
        "seq": seq,
        "call_started_at": STARTED,
        "recognized_at": STARTED + 10 * (seq + 1),
        "start_s": 10.0 * seq,
        "end_s": 10.0 * seq + len(words),
        "text": text,
        "words": words,
        "word_starts": [10.0 * seq + i for i in range(len(words))],
        "word_ends": [10.0 * seq + i + 0.5 for i in range(len(words))],
        "word_confidences": [0.75] * len(words),
        "confidence": 0.75,
        "risk": 0.79 if "민원" in text else 0.0,
        "risk_level": "medium" if "민원" in text else "none",
        "risk_terms": ["금융감독원", "민원"] if "민원" in text else [],
        "source": "live",
        "line": "card-line",
        "branch": "sh-01",
        "regulator_forwarded": True,
    }
    return {**row, **overrides}


def test_sinks_store_each_row_once_and_reads_return_them(
    clickhouse_connect: Connect, schema: ClickHouseExecutor
) -> None:
    calls = CallSink(clickhouse_connect, batch_rows=50, flush_s=30)
    utterances = UtteranceSink(clickhouse_connect, batch_rows=50, flush_s=30)
    first = _utterance("c-1", 0, "카드가 도착하지 않았어요")
    second = _utterance("c-1", 1, "금융감독원에 민원을 넣겠습니다")
    try:
        utterances.add_many([second, first, first])  # a duplicate within the batch
        assert utterances.flush() == 2
        utterances.add(first)  # written by this process before
        assert utterances.flush() == 0
        calls.add(_call("c-1"))
        calls.add(_call("c-2", source="upload", end_reason="upload", ended_at=STARTED + 300))
        assert calls.flush() == 2
    finally:
        utterances.close()
        calls.close()
    # A new process (empty memory) finds the rows in ClickHouse instead.
    fresh = UtteranceSink(clickhouse_connect, batch_rows=50, flush_s=30)
    try:
        fresh.add(second)
        assert fresh.flush() == 0
    finally:
        fresh.close()

    assert existing_call_ids(schema, ["c-1", "c-2", "c-9"]) == {"c-1", "c-2"}
    assert existing_utterance_ids(schema, call_ids=["c-1"], utterance_ids=["c-1:0", "c-1:7"]) == {"c-1:0"}
    call = stored_call(schema, "c-1")
    assert call is not None
    assert "customer_ref_hash" not in call
    assert call["ended_at"] == datetime.fromtimestamp(STARTED + 95, tz=UTC)  # DateTime keeps seconds
    assert call["regulator_forwarded"] is True
    assert call["audio_seconds"] == pytest.approx(95.25)
    assert call["transcript"].endswith("민원을 넣겠습니다")
    assert stored_call(schema, "c-9") is None

    rows = stored_utterances(schema, "c-1")
    assert [r["seq"] for r in rows] == [0, 1]
    assert rows[1]["risk_terms"] == ["금융감독원", "민원"]
    assert rows[1]["word_list"][0] == {"word": "금융감독원에", "start": 10.0, "end": 10.5, "conf": 0.75}
    assert stored_utterances(schema, "c-2") == []

    recent = recent_calls(schema, limit=10)
    assert [c["call_id"] for c in recent] == ["c-2", "c-1"]
    assert "transcript" not in recent[0]


def test_rows_that_clickhouse_would_refuse_are_refused_at_add() -> None:
    with pytest.raises(ValueError, match="word arrays"):
        normalize_utterance(_utterance("c", 0, "a b", word_ends=[1.0]))
    with pytest.raises(ValueError, match="seq"):
        normalize_utterance({**_utterance("c", 0, "a"), "seq": -1})
    with pytest.raises(ValueError, match="started_at"):
        normalize_call(_call("c", started_at="yesterday"))
    with pytest.raises(ValueError, match="unknown columns"):
        normalize_call({**_call("c"), "extra": 1})
    with pytest.raises(ValueError, match="call_id"):
        normalize_call(_call(""))
    assert normalize_call(_call("c", line=None))["line"] == ""
