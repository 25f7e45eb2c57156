"""Per-bucket complaint counts for the surge and silence rules, read from the per-minute rollups.

Buckets are whole minutes aligned to the epoch (``intDiv(minute, bucket) * bucket``); a bucket with
no complaints is absent from the result (the caller fills zeros for the series it knows). Rollup
rows are partial sums until merged, hence ``sum()`` everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["VOLUME_FIELDS", "first_minute", "group_bucket_counts", "tag_bucket_counts"]

#: Columns a silence rule may watch (``complaint_totals_minute``'s dimensions).
VOLUME_FIELDS = ("channel", "branch", "line")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _window_params(since: float, until: float, lookback_s: float, bucket_seconds: int) -> dict[str, object]:
    """The query parameters of a bucketed count over ``[since, until)`` and of the series seen
    within ``lookback_s`` before ``until``."""
    return {
        "since": _dt(since),
        "until": _dt(until),
        "seen_since": _dt(min(since, until - lookback_s)),
        "bucket": int(bucket_seconds),
    }


def first_minute(executor: ClickHouseExecutor) -> float | None:
    """Epoch seconds of the earliest minute with any complaint, or None when there is none."""
    rows = executor.execute("SELECT min(minute), count() FROM complaint_totals_minute")
    if not rows or not rows[0][1]:
        return None
    moment = rows[0][0]
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def tag_bucket_counts(
    executor: ClickHouseExecutor,
    *,
    dimension: str,
    tags: Sequence[str] | None,
    bucket_seconds: int,
    since: float,
    until: float,
    lookback_s: float,
) -> tuple[list[str], dict[tuple[str, int], int]]:
    """The tags to watch (seen within ``lookback_s`` before ``until``) and their counts per bucket in
    ``[since, until)``; ``tags`` None means every tag of ``dimension``."""
    tag_filter = "" if tags is None else " AND tag IN %(tags)s"
    params = {"dimension": dimension, **_window_params(since, until, lookback_s, bucket_seconds)}
    if tags is not None:
        params["tags"] = tuple(tags)
    known = executor.execute(
        "SELECT DISTINCT tag FROM complaint_counts_minute WHERE dimension = %(dimension)s"
        f" AND minute >= %(seen_since)s AND minute < %(until)s{tag_filter} ORDER BY tag",
        params,
    )
    rows = executor.execute(
        "SELECT tag, intDiv(toUInt32(minute), %(bucket)s) * %(bucket)s AS b, sum(complaints)"
        " FROM complaint_counts_minute WHERE dimension = %(dimension)s"
        f" AND minute >= %(since)s AND minute < %(until)s{tag_filter} GROUP BY tag, b",
        params,
    )
    return [str(t) for (t,) in known], {(str(tag), int(b)): int(n) for tag, b, n in rows}


def group_bucket_counts(
    executor: ClickHouseExecutor,
    *,
    field: str,
    values: Sequence[str] | None,
    bucket_seconds: int,
    since: float,
    until: float,
    lookback_s: float,
) -> tuple[list[str], dict[tuple[str, int], int]]:
    """Like :func:`tag_bucket_counts` for each value of ``field`` (channel, branch or line), all tags.

    Empty values (complaints without a line or branch) are not a series.
    """
    if field not in VOLUME_FIELDS:
        raise ValueError(f"field must be one of {VOLUME_FIELDS}")
    value_filter = "" if values is None else f" AND {field} IN %(values)s"
    params = _window_params(since, until, lookback_s, bucket_seconds)
    if values is not None:
        params["values"] = tuple(values)
    known = executor.execute(
        f"SELECT DISTINCT {field} FROM complaint_totals_minute WHERE minute >= %(seen_since)s"
        f" AND minute < %(until)s AND {field} != ''{value_filter} ORDER BY {field}",
        params,
    )
    rows = executor.execute(
        f"SELECT {field}, intDiv(toUInt32(minute), %(bucket)s) * %(bucket)s AS b, sum(complaints)"
        f" FROM complaint_totals_minute WHERE minute >= %(since)s AND minute < %(until)s"
        f" AND {field} != ''{value_filter} GROUP BY {field}, b",
        params,
    )
    return [str(v) for (v,) in known], {(str(v), int(b)): int(n) for v, b, n in rows}
