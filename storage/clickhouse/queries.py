"""Every read query on the complaint tables, as functions over a :class:`ClickHouseExecutor`.

Rollups are read with ``sum() ... GROUP BY`` because SummingMergeTree rows are partial sums until a
merge. Times are accepted as aware datetimes (naive means UTC) or epoch seconds, and returned as
aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.clickhouse.analytics_filters import as_utc, equal_conditions
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.schema import COMPLAINT_COLUMNS
from storage.clickhouse.stored_rows import stored_row

__all__ = [
    "branch_row_counts",
    "count_complaints",
    "existing_event_ids",
    "latest_complaints",
    "minute_counts",
    "minute_totals",
    "top_tags",
    "visible_event_ids",
]

Moment = datetime | float | int
# Values per IN list: keeps each statement well under the server's max_query_size (256 KiB).
_IN_CHUNK = 2000


def count_complaints(executor: ClickHouseExecutor, event_ids: Iterable[str]) -> int:
    """Rows physically stored for these event ids (no FINAL: a duplicate counts twice)."""
    total = 0
    for chunk in _chunks(tuple(dict.fromkeys(event_ids))):
        rows = executor.execute("SELECT count() FROM complaints WHERE event_id IN %(ids)s", {"ids": chunk})
        total += int(rows[0][0])
    return total


def existing_event_ids(
    executor: ClickHouseExecutor, event_ids: Sequence[str], *, received_from: Moment, received_to: Moment
) -> set[str]:
    """Which of ``event_ids`` are stored with ``received_at`` in [received_from, received_to].

    The time bounds let ClickHouse skip every other day's partition and hour range, which keeps
    the sink's per-batch duplicate check cheap on a large table.
    """
    found: set[str] = set()
    for chunk in _chunks(tuple(dict.fromkeys(event_ids))):
        rows = executor.execute(
            "SELECT DISTINCT event_id FROM complaints"
            " WHERE received_at >= %(lo)s AND received_at <= %(hi)s AND event_id IN %(ids)s",
            {"lo": _as_datetime(received_from), "hi": _as_datetime(received_to), "ids": chunk},
        )
        found.update(str(row[0]) for row in rows)
    return found


def visible_event_ids(
    executor: ClickHouseExecutor, *, branch: str, among: Sequence[str], received_from: Moment | None = None
) -> set[str]:
    """Which of ``among`` are stored for ``branch`` (benchmarks poll this to time visibility).

    ``received_from`` (no id was received earlier) lets a long run's polls skip the older rows.
    """
    found: set[str] = set()
    since = "" if received_from is None else " AND received_at >= %(lo)s"
    for chunk in _chunks(tuple(dict.fromkeys(among))):
        params: dict[str, object] = {"branch": branch, "ids": chunk}
        if received_from is not None:
            params["lo"] = _as_datetime(received_from).replace(microsecond=0)
        rows = executor.execute(
            "SELECT DISTINCT event_id FROM complaints"
            f" WHERE branch = %(branch)s AND event_id IN %(ids)s{since}",
            params,
        )
        found.update(str(row[0]) for row in rows)
    return found


def visible_sequence_numbers(
    executor: ClickHouseExecutor, *, branch: str, id_prefix: str, classified_from: Moment
) -> list[int]:
    """Sequence numbers ``n`` of the ids ``f"{id_prefix}{n}"`` stored for ``branch`` and classified
    at or after ``classified_from`` (benchmarks poll this to time visibility).

    Answering with numbers rather than testing an ``IN`` list of ids keeps a poll cheap for the
    server it measures: parsing a 5,000-id list cost ClickHouse ~45 ms of CPU per poll.
    """
    rows = executor.execute(
        "SELECT toUInt64OrZero(substring(event_id, %(start)s, 20)) FROM complaints"
        " WHERE branch = %(branch)s AND classified_at >= %(since)s AND startsWith(event_id, %(prefix)s)",
        {
            "branch": branch,
            "since": _as_datetime(classified_from).replace(microsecond=0),
            "prefix": id_prefix,
            "start": len(id_prefix) + 1,
        },
    )
    return [int(row[0]) for row in rows]


def branch_row_counts(executor: ClickHouseExecutor, *, branch: str) -> tuple[int, int]:
    """Rows physically stored for ``branch`` and distinct event ids among them (no FINAL: the
    difference is the duplicates a merge has not yet removed)."""
    rows = executor.execute(
        "SELECT count(), uniqExact(event_id) FROM complaints WHERE branch = %(branch)s", {"branch": branch}
    )
    return int(rows[0][0]), int(rows[0][1])


def minute_counts(
    executor: ClickHouseExecutor,
    *,
    dimension: str,
    tag: str | None,
    since: Moment,
    until: Moment,
    channel: str | None = None,
) -> list[tuple[datetime, int]]:
    """Complaints per minute for one tag (or every tag of ``dimension`` when ``tag`` is None).

    Covers the minutes that start in [since, until); minutes without complaints are absent.
    """
    conditions = ["dimension = %(dimension)s", "minute >= %(since)s", "minute < %(until)s"]
    params: dict[str, object] = {
        "dimension": dimension,
        "since": _as_datetime(since),
        "until": _as_datetime(until),
    }
    equal_conditions(conditions, params, tag=tag, channel=channel)
    rows = executor.execute(
        "SELECT minute, sum(complaints) FROM complaint_counts_minute"
        f" WHERE {' AND '.join(conditions)} GROUP BY minute ORDER BY minute",
        params,
    )
    return [(_utc(minute), int(count)) for minute, count in rows]


def minute_totals(
    executor: ClickHouseExecutor, *, since: Moment, until: Moment
) -> list[tuple[datetime, int, int]]:
    """Complaints and regulator-forwarded complaints per minute, all channels and tags."""
    rows = executor.execute(
        "SELECT minute, sum(complaints), sum(regulator_complaints) FROM complaint_totals_minute"
        " WHERE minute >= %(since)s AND minute < %(until)s GROUP BY minute ORDER BY minute",
        {"since": _as_datetime(since), "until": _as_datetime(until)},
    )
    return [(_utc(minute), int(total), int(regulator)) for minute, total, regulator in rows]


def top_tags(
    executor: ClickHouseExecutor, *, dimension: str, since: Moment, until: Moment, limit: int = 10
) -> list[tuple[str, int]]:
    """The ``limit`` most frequent tags of ``dimension`` in [since, until), most frequent first."""
    rows = executor.execute(
        "SELECT tag, sum(complaints) AS n FROM complaint_counts_minute"
        " WHERE dimension = %(dimension)s AND minute >= %(since)s AND minute < %(until)s"
        " GROUP BY tag ORDER BY n DESC, tag LIMIT %(limit)s",
        {
            "dimension": dimension,
            "since": _as_datetime(since),
            "until": _as_datetime(until),
            "limit": int(limit),
        },
    )
    return [(str(tag), int(count)) for tag, count in rows]


#: Every stored column but the customer hash, which reads have no business showing.
_LATEST_COLUMNS = tuple(c for c in COMPLAINT_COLUMNS if c != "customer_ref_hash")
#: The columns whose driver values are not the API's (see :mod:`storage.clickhouse.stored_rows`).
_LATEST_TYPES: dict[str, Callable[[Any], Any]] = {
    "received_at": as_utc,
    "classified_at": as_utc,
    "regulator_forwarded": bool,
    "risk": float,
}


def latest_complaints(
    executor: ClickHouseExecutor, limit: int = 50, *, since: Moment | None = None
) -> list[dict[str, Any]]:
    """The newest complaints by ``received_at`` (one row per event id), newest first.

    Each is a dict of the stored columns, with the tag arrays zipped into ``tag_list``
    (dimension, tag, confidence, source). ``customer_ref_hash`` is left out on purpose.
    """
    conditions = "WHERE received_at >= %(since)s " if since is not None else ""
    params: dict[str, object] = {"limit": int(limit)}
    if since is not None:
        params["since"] = _as_datetime(since)
    rows = executor.execute(
        f"SELECT {', '.join(_LATEST_COLUMNS)} FROM complaints {conditions}"
        "ORDER BY received_at DESC, event_id LIMIT 1 BY event_id LIMIT %(limit)s",
        params,
    )
    result = []
    for row in rows:
        item = stored_row(_LATEST_COLUMNS, row, _LATEST_TYPES)
        item["tag_list"] = [
            {"dimension": d, "tag": t, "confidence": float(c), "source": s}
            for d, t, c, s in zip(
                item["tag_dimensions"],
                item["tags"],
                item["tag_confidences"],
                item["tag_sources"],
                strict=False,
            )
        ]
        result.append(item)
    return result


def _as_datetime(moment: Moment) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(moment), tz=UTC)


def _utc(moment: datetime) -> datetime:
    """The same instant as a ``datetime.UTC`` datetime (the driver hands back pytz objects)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _chunks(values: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
