"""Reads behind the exports: complaints page by page for CSV, and the figures of a daily summary.

Complaint exports never include ``customer_ref_hash`` (a keyed hash, but still a per-customer
identifier nobody needs in a spreadsheet). Pages are time slices ordered by reception, so memory
stays bounded however long the range.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.clickhouse.analytics_deadlines import ComplianceFigure, deadline_compliance
from storage.clickhouse.analytics_filters import Moment, RollupFilter, as_utc
from storage.clickhouse.analytics_topics import HotTag, hot_tags
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = [
    "EXPORT_COLUMNS",
    "DailyFigures",
    "complaint_rows",
    "daily_figures",
    "iter_complaint_pages",
    "time_slices",
]

#: Exported columns, in CSV order (no customer hash, tags flattened as ``dimension:tag`` lists).
EXPORT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "received_at",
    "classified_at",
    "channel",
    "branch",
    "line",
    "product_hint",
    "regulator_forwarded",
    "regulator_ref",
    "tags",
    "tag_confidences",
    "model_version",
    "risk",
    "text",
)
#: Time slice per page: an hour of complaints is a few thousand rows at hotline rates.
PAGE = timedelta(hours=1)


def iter_complaint_pages(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    page: timedelta = PAGE,
    **filters: Any,
) -> Iterator[list[dict[str, Any]]]:
    """Complaints received in [since, until), oldest first, one list per non-empty time slice.

    ``filters`` are those of :func:`complaint_rows`.
    """
    for lo, hi in time_slices(since, until, page):
        rows = complaint_rows(executor, since=lo, until=hi, **filters)
        if rows:
            yield rows


def time_slices(since: Moment, until: Moment, page: timedelta = PAGE) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive ``[lo, hi)`` slices of at most ``page`` covering [since, until).

    Examples
    --------
    >>> [(lo.hour, hi.hour) for lo, hi in time_slices(0, 2.5 * 3600)]
    [(0, 1), (1, 2), (2, 2)]
    """
    start, end = as_utc(since), as_utc(until)
    while start < end:
        stop = min(start + page, end)
        yield start, stop
        start = stop


def complaint_rows(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    where: RollupFilter | None = None,
    dimension: str | None = None,
    tag: str | None = None,
    regulator_only: bool = False,
) -> list[dict[str, Any]]:
    """Complaints received in [since, until) as export rows (one per event id), oldest first.

    ``tag`` keeps complaints carrying it (in ``dimension`` when given); ``dimension`` alone keeps
    complaints with any tag of it. Keep the range to a page (an hour) per call.
    """
    conditions, params = (where or RollupFilter()).conditions()
    if tag is not None:
        conditions.append(
            "arrayExists((d, t) -> t = %(tag)s AND (%(dimension)s = '' OR d = %(dimension)s),"
            " tag_dimensions, tags)"
        )
        params.update(tag=tag, dimension=dimension or "")
    elif dimension is not None:
        conditions.append("has(tag_dimensions, %(dimension)s)")
        params["dimension"] = dimension
    if regulator_only:
        conditions.append("regulator_forwarded = 1")
    extra = "".join(f" AND {c}" for c in conditions)
    rows = executor.execute(
        "SELECT event_id, received_at, classified_at, channel, branch, line, product_hint,"
        " regulator_forwarded, regulator_ref, tag_dimensions, tags, tag_confidences, model_version,"
        " risk, text FROM complaints"
        f" WHERE received_at >= %(lo)s AND received_at < %(hi)s{extra}"
        " ORDER BY received_at, event_id LIMIT 1 BY event_id",
        {**params, "lo": as_utc(since), "hi": as_utc(until)},
    )
    return [_export_row(row) for row in rows]


def _export_row(row: tuple[Any, ...]) -> dict[str, Any]:
    (event_id, received, classified, channel, branch, line, hint, forwarded, ref) = row[:9]
    dimensions, tags, confidences, version, risk, text = row[9:]
    return {
        "event_id": event_id,
        "received_at": as_utc(received).isoformat(),
        "classified_at": as_utc(classified).isoformat(),
        "channel": channel,
        "branch": branch,
        "line": line,
        "product_hint": hint,
        "regulator_forwarded": int(forwarded),
        "regulator_ref": ref,
        "tags": ";".join(f"{d}:{t}" for d, t in zip(dimensions, tags, strict=False)),
        "tag_confidences": ";".join(f"{float(c):.3f}" for c in confidences),
        "model_version": version,
        "risk": round(float(risk), 4),
        "text": text,
    }


@dataclass(frozen=True, slots=True)
class DailyFigures:
    """What a daily summary reports from ClickHouse (alerts come from the alert store)."""

    since: datetime
    until: datetime
    complaints: int
    regulator_forwarded: int
    per_hour: list[tuple[datetime, int]]
    per_channel: list[tuple[str, int]]
    top_tags: list[HotTag]
    compliance: list[ComplianceFigure]


def daily_figures(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    now: Moment,
    top: int = 10,
    time_scale: float = 1.0,
) -> DailyFigures:
    """Volume per hour and channel, top tags (against the day before) and deadline compliance
    (on the ``time_scale`` clock, a demo's: see :func:`deadline_compliance`).

    ``since``/``until`` are the day's bounds (a local day: any whole-hour offset from UTC works,
    because every figure comes from the hour rollups).
    """
    params = {"lo": as_utc(since), "hi": as_utc(until)}
    hours = executor.execute(
        "SELECT hour, sum(complaints), sum(regulator_complaints) FROM complaint_totals_hour"
        " WHERE hour >= %(lo)s AND hour < %(hi)s GROUP BY hour ORDER BY hour",
        params,
    )
    channels = executor.execute(
        "SELECT channel, sum(complaints) AS n FROM complaint_totals_hour"
        " WHERE hour >= %(lo)s AND hour < %(hi)s GROUP BY channel ORDER BY n DESC, channel",
        params,
    )
    return DailyFigures(
        since=as_utc(since),
        until=as_utc(until),
        complaints=sum(int(n) for _, n, _ in hours),
        regulator_forwarded=sum(int(r) for _, _, r in hours),
        per_hour=[(as_utc(h), int(n)) for h, n, _ in hours],
        per_channel=[(str(c), int(n)) for c, n in channels],
        top_tags=hot_tags(executor, since=since, until=until, limit=top, granularity="hour"),
        compliance=deadline_compliance(executor, since=since, until=until, now=now, time_scale=time_scale),
    )
