"""What every analytics query shares: time bounds, rollup granularity and the channel/branch/line filter.

The granularity follows the span, so a chart never asks for more points than it can draw and every
query reads the smallest rollup that answers it: minutes up to 6 hours, hours up to 7 days, days
beyond. Day buckets are UTC days (the rollups are keyed in UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "GRANULARITY_SECONDS",
    "MAX_POINTS",
    "Granularity",
    "Moment",
    "RollupFilter",
    "as_utc",
    "bucket_starts",
    "choose_granularity",
    "equal_conditions",
    "floor_to",
    "tag_conditions",
]

Moment = datetime | float | int
Granularity = Literal["minute", "hour", "day"]
GRANULARITY_SECONDS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400}
#: Spans up to which a granularity is chosen automatically.
_AUTO_LIMITS: tuple[tuple[timedelta, Granularity], ...] = (
    (timedelta(hours=6), "minute"),
    (timedelta(days=7), "hour"),
)
#: Most buckets one series may have (a wall chart is ~2,000 px wide).
MAX_POINTS = 2000


def as_utc(moment: Moment) -> datetime:
    """An aware UTC datetime for a datetime (naive means UTC) or epoch seconds.

    Examples
    --------
    >>> as_utc(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    """
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.fromtimestamp(float(moment), tz=UTC)


def choose_granularity(since: Moment, until: Moment) -> Granularity:
    """Minute for spans up to 6 h, hour up to 7 days, day beyond.

    Examples
    --------
    >>> [choose_granularity(0, hours * 3600) for hours in (6, 7, 30 * 24)]
    ['minute', 'hour', 'day']
    """
    span = as_utc(until) - as_utc(since)
    for limit, granularity in _AUTO_LIMITS:
        if span <= limit:
            return granularity
    return "day"


def floor_to(moment: Moment, granularity: Granularity) -> datetime:
    """Start of the bucket holding ``moment`` (UTC).

    Examples
    --------
    >>> floor_to(3725, "hour").isoformat(), floor_to(3725, "minute").isoformat()
    ('1970-01-01T01:00:00+00:00', '1970-01-01T01:02:00+00:00')
    """
    step = GRANULARITY_SECONDS[granularity]
    seconds = int(as_utc(moment).timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, tz=UTC)


def bucket_starts(since: Moment, until: Moment, granularity: Granularity) -> list[datetime]:
    """Every bucket start from the one holding ``since`` up to (not including) ``until``.

    Raises ValueError when the range is empty or would need more than :data:`MAX_POINTS` buckets.

    Examples
    --------
    >>> [b.minute for b in bucket_starts(30, 185, "minute")]
    [0, 1, 2, 3]
    """
    start, end = floor_to(since, granularity), as_utc(until)
    if end <= as_utc(since):
        raise ValueError("`until` must be after `since`")
    step = timedelta(seconds=GRANULARITY_SECONDS[granularity])
    count = -(-int((end - start).total_seconds()) // int(step.total_seconds()))
    if count > MAX_POINTS:
        raise ValueError(f"{count} {granularity} buckets requested; at most {MAX_POINTS}: widen the bucket")
    return [start + i * step for i in range(count)]


@dataclass(frozen=True, slots=True)
class RollupFilter:
    """Optional equality filters on the rollup keys; None means any value."""

    channel: str | None = None
    branch: str | None = None
    line: str | None = None

    def conditions(self) -> tuple[list[str], dict[str, object]]:
        """SQL conditions (``%(f_channel)s`` placeholders) and their values."""
        conditions: list[str] = []
        params: dict[str, object] = {}
        for name in ("channel", "branch", "line"):
            value = getattr(self, name)
            if value is not None:
                conditions.append(f"{name} = %(f_{name})s")
                params[f"f_{name}"] = value
        return conditions, params


def tag_conditions(tags: Mapping[str, tuple[str, ...]]) -> tuple[str, dict[str, object]]:
    """``(dimension = .. AND tag IN ..) OR ...`` for tags grouped by dimension (index-friendly).

    Examples
    --------
    >>> sql, params = tag_conditions({"product": ("card", "loan")})
    >>> sql, params["d0"], params["t0"]
    ('((dimension = %(d0)s AND tag IN %(t0)s))', 'product', ('card', 'loan'))
    """
    if not tags or not all(tags.values()):
        raise ValueError("at least one tag per dimension is needed")
    parts: list[str] = []
    params: dict[str, object] = {}
    for index, (dimension, names) in enumerate(sorted(tags.items())):
        parts.append(f"(dimension = %(d{index})s AND tag IN %(t{index})s)")
        params[f"d{index}"] = dimension
        params[f"t{index}"] = tuple(dict.fromkeys(names))
    return "(" + " OR ".join(parts) + ")", params


def equal_conditions(conditions: list[str], params: dict[str, object], **values: object) -> None:
    """Append ``column = %(column)s`` to ``conditions`` (and the value to ``params``) for each of
    ``values`` that is not None; a None value filters nothing.

    Examples
    --------
    >>> conditions, params = ["minute >= %(since)s"], {}
    >>> equal_conditions(conditions, params, tag="card", channel=None)
    >>> conditions, params
    (['minute >= %(since)s', 'tag = %(tag)s'], {'tag': 'card'})
    """
    for column, value in values.items():
        if value is not None:
            conditions.append(f"{column} = %({column})s")
            params[column] = value
