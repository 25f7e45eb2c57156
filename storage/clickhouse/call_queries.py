"""Read queries on ``calls`` and ``utterances`` (one row per key: redelivered rows never show twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from storage.clickhouse.analytics_filters import as_utc
from storage.clickhouse.call_schema import CALL_COLUMNS, UTTERANCE_COLUMNS
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.stored_rows import stored_row

__all__ = [
    "existing_call_ids",
    "existing_utterance_ids",
    "recent_calls",
    "stored_call",
    "stored_utterances",
]

# Values per IN list: keeps each statement well under the server's max_query_size.
_IN_CHUNK = 2000
_CALL_READ = tuple(c for c in CALL_COLUMNS if c != "customer_ref_hash")  # never shown
#: The columns read whose driver values are not the API's (see :mod:`storage.clickhouse.stored_rows`).
_CALL_TYPES: dict[str, Callable[[Any], Any]] = {
    "started_at": as_utc,
    "ended_at": as_utc,
    "regulator_forwarded": bool,
    "audio_seconds": float,
    "max_risk": float,
}
_UTTERANCE_TYPES: dict[str, Callable[[Any], Any]] = {
    "call_started_at": as_utc,
    "recognized_at": as_utc,
    "regulator_forwarded": bool,
    "start_s": float,
    "end_s": float,
    "confidence": float,
    "risk": float,
}


def existing_call_ids(executor: ClickHouseExecutor, call_ids: Iterable[str]) -> set[str]:
    """Which of ``call_ids`` have a ``calls`` row."""
    found: set[str] = set()
    for chunk in _chunks(tuple(dict.fromkeys(call_ids))):
        rows = executor.execute("SELECT DISTINCT call_id FROM calls WHERE call_id IN %(ids)s", {"ids": chunk})
        found.update(str(row[0]) for row in rows)
    return found


def existing_utterance_ids(
    executor: ClickHouseExecutor, *, call_ids: Sequence[str], utterance_ids: Sequence[str]
) -> set[str]:
    """Which of ``utterance_ids`` (of the calls ``call_ids``) are stored."""
    found: set[str] = set()
    calls = tuple(dict.fromkeys(call_ids))
    if not calls:
        return found
    for chunk in _chunks(tuple(dict.fromkeys(utterance_ids))):
        rows = executor.execute(
            "SELECT DISTINCT utterance_id FROM utterances"
            " WHERE call_id IN %(calls)s AND utterance_id IN %(ids)s",
            {"calls": calls, "ids": chunk},
        )
        found.update(str(row[0]) for row in rows)
    return found


def stored_call(executor: ClickHouseExecutor, call_id: str) -> dict[str, Any] | None:
    """The ``calls`` row of ``call_id`` (without the customer hash), or None."""
    rows = executor.execute(
        f"SELECT {', '.join(_CALL_READ)} FROM calls WHERE call_id = %(id)s ORDER BY ended_at DESC LIMIT 1",
        {"id": call_id},
    )
    if not rows:
        return None
    return stored_row(_CALL_READ, rows[0], _CALL_TYPES)


def stored_utterances(executor: ClickHouseExecutor, call_id: str) -> list[dict[str, Any]]:
    """The utterances of ``call_id`` in order, each with its words zipped into ``word_list``."""
    rows = executor.execute(
        f"SELECT {', '.join(UTTERANCE_COLUMNS)} FROM utterances WHERE call_id = %(id)s"
        " ORDER BY seq, recognized_at DESC LIMIT 1 BY seq",
        {"id": call_id},
    )
    out = []
    for row in rows:
        item = stored_row(UTTERANCE_COLUMNS, row, _UTTERANCE_TYPES)
        item["word_list"] = [
            {"word": w, "start": float(s), "end": float(e), "conf": float(c)}
            for w, s, e, c in zip(
                item.pop("words"),
                item.pop("word_starts"),
                item.pop("word_ends"),
                item.pop("word_confidences"),
                strict=False,
            )
        ]
        out.append(item)
    return out


def recent_calls(executor: ClickHouseExecutor, *, limit: int = 50) -> list[dict[str, Any]]:
    """The most recently ended calls, newest first, without their transcripts."""
    columns = tuple(c for c in _CALL_READ if c != "transcript")
    rows = executor.execute(
        f"SELECT {', '.join(columns)} FROM calls ORDER BY ended_at DESC, call_id"
        " LIMIT 1 BY call_id LIMIT %(limit)s",
        {"limit": int(limit)},
    )
    return [stored_row(columns, row, _CALL_TYPES) for row in rows]


def _chunks(values: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
