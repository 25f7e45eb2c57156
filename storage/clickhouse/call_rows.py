"""Rows of ``calls`` and ``utterances``: checked and typed before they are buffered.

A row ClickHouse would refuse must be refused at ``add()``, or it would fail every retry of its
batch and stall the sink. Rows are dicts keyed by column name; times may be epoch seconds or
datetimes and come back as aware UTC datetimes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from storage.clickhouse.call_schema import CALL_COLUMNS, UTTERANCE_COLUMNS

__all__ = ["normalize_call", "normalize_utterance"]

_KINDS: dict[str, str] = {
    # calls
    "call_id": "id",
    "source": "str",
    "started_at": "time",
    "ended_at": "time",
    "end_reason": "str",
    "line": "str",
    "branch": "str",
    "customer_ref_hash": "str",
    "regulator_forwarded": "flag",
    "regulator_ref": "str",
    "sample_rate": "uint",
    "audio_seconds": "float",
    "utterance_count": "uint",
    "max_risk": "float",
    "transcript": "str",
    "complaint_event_id": "str",
    # utterances
    "utterance_id": "id",
    "seq": "uint",
    "call_started_at": "time",
    "recognized_at": "time",
    "start_s": "float",
    "end_s": "float",
    "text": "str",
    "speaker": "str",
    "words": "strs",
    "word_starts": "floats",
    "word_ends": "floats",
    "word_confidences": "floats",
    "confidence": "float",
    "risk": "float",
    "risk_level": "str",
    "risk_terms": "strs",
}
_MAX_ID = 128
_MAX_EPOCH = 2.0**32 - 1  # DateTime is UInt32 seconds
_WORD_ARRAYS = ("words", "word_starts", "word_ends", "word_confidences")


def normalize_call(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``calls`` row with every column present and typed.

    >>> row = normalize_call({"call_id": "c1", "started_at": 1704164645, "ended_at": 1704164700.5,
    ...                       "regulator_forwarded": True, "transcript": "카드 분실"})
    >>> row["ended_at"].isoformat(), row["regulator_forwarded"], row["line"], row["max_risk"]
    ('2024-01-02T03:05:00.500000+00:00', 1, '', 0.0)
    """
    return _normalize(row, CALL_COLUMNS, "call_id")


def normalize_utterance(row: Mapping[str, Any]) -> dict[str, Any]:
    """An ``utterances`` row with every column present and typed; word arrays of equal length."""
    out = _normalize(row, UTTERANCE_COLUMNS, "utterance_id")
    lengths = {len(out[name]) for name in _WORD_ARRAYS}
    if len(lengths) > 1:
        raise ValueError(f"utterance {out['utterance_id']}: word arrays differ in length")
    if not out["call_id"]:
        raise ValueError(f"utterance {out['utterance_id']}: call_id is required")
    return out


def _normalize(row: Mapping[str, Any], columns: tuple[str, ...], key: str) -> dict[str, Any]:
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"unknown columns: {sorted(unknown)}")
    ident = row.get(key)
    if not isinstance(ident, str) or not 0 < len(ident) <= _MAX_ID:
        raise ValueError(f"{key} must be a non-empty string of at most {_MAX_ID} characters")
    out: dict[str, Any] = {}
    for column in columns:
        value = row.get(column)
        try:
            out[column] = _convert(_KINDS[column], value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{key} {ident}: {column}: {exc}") from None
    return out


def _convert(kind: str, value: Any) -> Any:
    if kind in ("id", "str"):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return value
    if kind == "time":
        return _moment(value)
    if kind == "flag":
        if value not in (None, 0, 1, True, False):
            raise ValueError("expected a bool")
        return int(bool(value))
    if kind == "uint":
        number = 0 if value is None else value
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError("expected a non-negative integer")
        return number
    if kind == "float":
        return _finite(0.0 if value is None else value)
    if kind == "strs":
        values = [] if value is None else list(value)
        if not all(isinstance(v, str) for v in values):
            raise TypeError("expected a list of strings")
        return values
    if kind == "floats":
        return [_finite(v) for v in ([] if value is None else value)]
    raise AssertionError(kind)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        epoch = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        epoch = float(value)
    else:
        raise TypeError("expected epoch seconds or a datetime")
    if not (math.isfinite(epoch) and 0.0 <= epoch <= _MAX_EPOCH):
        raise ValueError(f"{value!r} is outside what DateTime holds")
    return datetime.fromtimestamp(epoch, tz=UTC)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)
