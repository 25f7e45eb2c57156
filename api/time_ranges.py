"""Time-range query parameters, one way for every route: ISO 8601 or epoch seconds, as the schema says.

Ranges are validated here rather than in storage because a bad range is the caller's mistake (422
naming the parameter), while anything ClickHouse refuses later is ours (503).

>>> time_range(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), timedelta(hours=1))[0].day
1
>>> time_range(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))
Traceback (most recent call last):
...
fastapi.exceptions.RequestValidationError: ...
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, WithJsonSchema

__all__ = [
    "EARLIEST",
    "LATEST",
    "Day",
    "EpochSeconds",
    "Since",
    "Until",
    "bounded",
    "invalid_query",
    "optional_range",
    "time_range",
]

#: ClickHouse's DateTime covers 1970..2105; moments outside what it can store are refused (422).
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

#: What a moment may be written as; pydantic reads both, so the schema says both.
_MOMENT_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "format": "date-time"},
            {"type": "number", "description": "epoch seconds"},
            {"type": "null"},
        ]
    }
)


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic would also read ``0`` as 1970-01-01, which nobody means."""
    if isinstance(value, str) and not (len(value) == 10 and value[4] == value[7] == "-"):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Since = Annotated[
    datetime | None, _MOMENT_SCHEMA, Query(description="Start (inclusive); ISO 8601 or epoch seconds.")
]
Until = Annotated[datetime | None, _MOMENT_SCHEMA, Query(description="End (exclusive); default now.")]
Day = Annotated[
    date | None,
    BeforeValidator(_iso_day),
    Query(description="YYYY-MM-DD in HOTLINE_REPORT_TIMEZONE (default today)."),
]


def _epoch_seconds(moment: object) -> object:
    return moment.timestamp() if isinstance(moment, datetime) else moment


#: A moment in a response as epoch seconds, read from the aware datetime storage gives (or a number).
EpochSeconds = Annotated[float, BeforeValidator(_epoch_seconds)]


def invalid_query(field: str | None, message: str) -> RequestValidationError:
    """A 422 naming the parameter (or the query as a whole), in FastAPI's own shape."""
    loc = ["query", field] if field else ["query"]
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def bounded(name: str, moment: datetime | None) -> datetime | None:
    """``moment`` as an aware datetime (naive ones are UTC), 422 outside what can be stored."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise invalid_query(name, f"`{name}` must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return aware


def optional_range(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Both ends checked, either may be open; 422 if the range is empty."""
    start, end = bounded("since", since), bounded("until", until)
    if start is not None and end is not None and end <= start:
        raise invalid_query("until", "`until` must be after `since`")
    return start, end


def time_range(
    since: datetime | None, until: datetime | None, default: timedelta
) -> tuple[datetime, datetime]:
    """``[since, until)`` with defaults (until: now; since: ``default`` before until); 422 if empty."""
    end = bounded("until", until) or datetime.now(UTC)
    start, _ = optional_range(since or end - default, end)
    assert start is not None
    return start, end
