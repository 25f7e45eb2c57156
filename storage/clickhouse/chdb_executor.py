"""The current ClickHouse engine in-process (chdb), behind the same executor contract as the server.

Used to prove every statement also runs on a current ClickHouse, and as a serverless store for
tools and tests. Results come back as JSONCompact and are converted by column type into the same
Python values clickhouse-driver returns (ints, floats, strings, lists, aware datetimes for
``DateTime('tz')``), so callers cannot tell the executors apart.

chdb embeds one engine per process, bound to the first data path opened: every ``ChdbExecutor`` in a
process must use the same ``path`` (several sessions on it are fine, one per thread).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from storage.clickhouse.executor import insert_statement
from storage.clickhouse.sql_literals import quote_identifier, substitute_params

__all__ = ["ChdbExecutor"]

_INSTALL_HINT = "chdb is not installed: `pip install chdb` (part of the project's [test] extra)"
# Session settings: time zone fixed to UTC like our server config; nan/inf as strings, not null.
_SESSION_SETTINGS = (
    "SET session_timezone = 'UTC'",
    "SET output_format_json_quote_denormals = 1",
    "SET output_format_json_quote_64bit_integers = 0",
)

Converter = Callable[[Any], Any]


class ChdbExecutor:
    """A chdb session on ``path`` (None: in memory) with ``database`` created and selected."""

    def __init__(self, path: str | None, database: str = "default") -> None:
        try:
            from chdb.session import Session
        except ImportError as exc:  # an optional dependency: say how to get it
            raise ImportError(_INSTALL_HINT) from exc
        quoted = quote_identifier(database)
        self.path = path
        self.database = database
        self._session: Any = Session(path)
        for statement in _SESSION_SETTINGS:
            self._session.query(statement)
        self._session.query(f"CREATE DATABASE IF NOT EXISTS {quoted}")
        self._session.query(f"USE {quoted}")

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        result = self._session.query(substitute_params(sql, params), "JSONCompact")
        raw = result.bytes() if result is not None else b""
        if not raw.strip():
            return []
        payload = json.loads(raw)
        converters = [_converter(column["type"]) for column in payload["meta"]]
        return [
            tuple(conv(value) for conv, value in zip(converters, row, strict=True)) for row in payload["data"]
        ]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        lines = []
        for row in rows:
            if len(row) != len(columns):
                raise ValueError(f"row has {len(row)} values for {len(columns)} columns")
            record = {column: _json_value(value) for column, value in zip(columns, row, strict=True)}
            # ensure_ascii: the statement text stays plain ASCII whatever the complaint text holds.
            lines.append(json.dumps(record, ensure_ascii=True, allow_nan=False))
        self._session.query(insert_statement(table, columns) + " FORMAT JSONEachRow\n" + "\n".join(lines))

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __repr__(self) -> str:
        return f"ChdbExecutor({self.path or ':memory:'}/{self.database})"


def _json_value(value: object) -> object:
    """A JSONEachRow value for one Python value (the types the driver accepts for our columns)."""
    if value is None or isinstance(value, str | int):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return math.floor(moment.timestamp())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    raise TypeError(f"cannot insert a {type(value).__name__}; convert it to a supported type first")


@lru_cache(maxsize=256)
def _converter(type_name: str) -> Converter:
    """Function turning one JSONCompact value of ``type_name`` into what clickhouse-driver returns."""
    name = type_name.strip()
    for wrapper in ("LowCardinality(", "SimpleAggregateFunction("):
        if name.startswith(wrapper):
            return _converter(_split_args(name[len(wrapper) : -1])[-1])
    if name.startswith("Nullable("):
        inner = _converter(name[len("Nullable(") : -1])
        return lambda value: None if value is None else inner(value)
    if name.startswith("Array("):
        item = _converter(name[len("Array(") : -1])
        return lambda value: [item(v) for v in value]
    if name.startswith("Tuple("):
        items = [_converter(_element_type(arg)) for arg in _split_args(name[len("Tuple(") : -1])]
        return lambda value: tuple(conv(v) for conv, v in zip(items, value, strict=True))
    if name == "DateTime" or name.startswith("DateTime("):
        return _datetime_converter(_timezone_arg(name), "%Y-%m-%d %H:%M:%S")
    if name.startswith("DateTime64("):
        return _datetime_converter(_timezone_arg(name), "%Y-%m-%d %H:%M:%S.%f")
    if name in ("Date", "Date32"):
        return date.fromisoformat
    if re.fullmatch(r"U?Int\d+", name):
        return int
    if name.startswith("Float"):
        return float
    if name == "Bool":
        return bool
    return _identity


def _identity(value: Any) -> Any:
    return value


def _datetime_converter(zone: tzinfo | None, fmt: str) -> Converter:
    # Like the driver: aware for DateTime('tz'), naive wall time (UTC in our session) otherwise.
    def convert(value: str) -> datetime:
        parsed = datetime.strptime(value, fmt)
        return parsed.replace(tzinfo=zone) if zone is not None else parsed

    return convert


def _timezone_arg(name: str) -> tzinfo | None:
    match = re.search(r"'([^']+)'", name)
    if match is None:
        return None
    return UTC if match.group(1) in ("UTC", "Etc/UTC") else ZoneInfo(match.group(1))


def _split_args(args: str) -> list[str]:
    """Split ``A, B(C, D), E`` at top-level commas."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(args):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(args[start:index].strip())
            start = index + 1
    parts.append(args[start:].strip())
    return parts


def _element_type(arg: str) -> str:
    """Type of a tuple element, dropping its name in ``Tuple(name Type)``."""
    head, _, rest = arg.partition(" ")
    return rest if rest and "(" not in head else arg
