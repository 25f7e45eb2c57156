"""One ``complaints`` row: checked and normalised before it is buffered.

A row that ClickHouse would refuse (wrong type, tag arrays of different lengths, which break the
rollup's ARRAY JOIN) must be refused at ``add()``: inside a batch it would fail every retry and stall
the sink. Keys are the column names of :data:`~storage.clickhouse.schema.COMPLAINT_COLUMNS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from storage.clickhouse.schema import COMPLAINT_COLUMNS

__all__ = ["NO_MARGIN", "normalize_complaint"]

#: ``tag_margins`` value of a tag the model's probabilities did not decide (a keyword rule, or a
#: remembered label: ``TagResult.margin`` is None). Real margins lie in [0, 1], so readers take
#: ``margin >= 0`` as "the model decided, this sure".
NO_MARGIN = -1.0

_STRING_COLUMNS = (
    "channel",
    "branch",
    "line",
    "product_hint",
    "customer_ref_hash",
    "regulator_ref",
    "text",
    "model_version",
)
_TAG_ARRAYS = ("tag_dimensions", "tags", "tag_confidences", "tag_sources")
_KNOWN_COLUMNS = frozenset(COMPLAINT_COLUMNS)
_MAX_EVENT_ID = 128
# ClickHouse DateTime holds 1970-01-01 .. 2106-02-07 (UInt32 seconds).
_MIN_EPOCH, _MAX_EPOCH = 0.0, 2.0**32 - 1


def normalize_complaint(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with every column present and typed as the executors insert it.

    ``received_at`` / ``classified_at`` may be epoch seconds or datetimes (naive means UTC) and come
    back as aware UTC datetimes; ``classified_at`` defaults to now. Missing strings become ``""``,
    missing tag arrays ``[]``; ``regulator_forwarded`` becomes 0/1. ``tag_margins`` is either empty
    (not known: rows from writers that predate it) or aligned with the tags, a None in it becoming
    :data:`NO_MARGIN`. Raises ValueError otherwise.

    Examples
    --------
    >>> row = normalize_complaint({"event_id": "e1", "received_at": 1704164645.5, "tags": ["card"],
    ...                            "tag_dimensions": ["product"], "tag_confidences": [0.9],
    ...                            "tag_sources": ["model"], "regulator_forwarded": True})
    >>> row["received_at"].isoformat(), row["regulator_forwarded"], row["channel"], row["risk"]
    ('2024-01-02T03:04:05.500000+00:00', 1, '', 0.0)
    >>> row["tag_margins"], normalize_complaint({**row, "tag_margins": [None]})["tag_margins"]
    ([], [-1.0])
    """
    if not _KNOWN_COLUMNS.issuperset(row):
        raise ValueError(f"unknown complaint columns: {sorted(set(row) - _KNOWN_COLUMNS)}")
    event_id = row.get("event_id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= _MAX_EVENT_ID:
        raise ValueError(f"event_id must be a non-empty string of at most {_MAX_EVENT_ID} characters")
    if row.get("received_at") is None:
        raise ValueError(f"complaint {event_id}: received_at is required")
    out: dict[str, Any] = {
        "event_id": event_id,
        "received_at": _moment(row["received_at"], "received_at", event_id),
        "classified_at": _moment(
            row["classified_at"] if row.get("classified_at") is not None else time.time(),
            "classified_at",
            event_id,
        ),
    }
    for column in _STRING_COLUMNS:
        value = row.get(column)
        if value is None:
            value = ""
        elif not isinstance(value, str):
            raise ValueError(f"complaint {event_id}: {column} must be a string, got {type(value).__name__}")
        out[column] = value
    forwarded = row.get("regulator_forwarded") or 0
    if not isinstance(forwarded, bool | int) or forwarded not in (0, 1):
        raise ValueError(f"complaint {event_id}: regulator_forwarded must be a bool")
    out["regulator_forwarded"] = int(forwarded)
    for column in _TAG_ARRAYS:
        values = row.get(column)
        values = [] if values is None else values
        if not isinstance(values, list | tuple):
            raise ValueError(f"complaint {event_id}: {column} must be a list")
        if column == "tag_confidences":
            out[column] = [_finite(value, column, event_id) for value in values]
        elif all(isinstance(value, str) for value in values):
            out[column] = list(values)
        else:
            raise ValueError(f"complaint {event_id}: {column} must hold strings")
    lengths = {column: len(out[column]) for column in _TAG_ARRAYS}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"complaint {event_id}: tag arrays differ in length {lengths}")
    margins = row.get("tag_margins")
    margins = [] if margins is None else margins
    if not isinstance(margins, list | tuple):
        raise ValueError(f"complaint {event_id}: tag_margins must be a list")
    if margins and len(margins) != lengths["tags"]:
        raise ValueError(
            f"complaint {event_id}: tag_margins has {len(margins)} values for {lengths['tags']} tags"
        )
    out["tag_margins"] = [
        NO_MARGIN if value is None else _finite(value, "tag_margins", event_id) for value in margins
    ]
    out["risk"] = _finite(row.get("risk") or 0.0, "risk", event_id)
    return out


def _moment(value: object, column: str, event_id: str) -> datetime:
    if type(value) is float and _MIN_EPOCH <= value <= _MAX_EPOCH:  # the common case (NaN fails)
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, datetime):
        epoch = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        epoch = float(value)
    else:
        raise ValueError(f"complaint {event_id}: {column} must be epoch seconds or a datetime")
    if not (math.isfinite(epoch) and _MIN_EPOCH <= epoch <= _MAX_EPOCH):
        raise ValueError(
            f"complaint {event_id}: {column}={value!r} is outside what ClickHouse DateTime holds"
        )
    return datetime.fromtimestamp(epoch, tz=UTC)


def _finite(value: object, column: str, event_id: str) -> float:
    if type(value) is float and math.isfinite(value):  # the common case, checked cheaply
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"complaint {event_id}: {column} must hold finite numbers")
    return float(value)
