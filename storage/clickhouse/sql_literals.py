"""The one place where Python values become SQL text: ``%(name)s`` placeholders rendered as literals.

ClickHouse 18.16 has no server-side query parameters, so values are quoted client-side. Both executors
render through here, so the server and chdb run byte-identical statements, and this module is the
security boundary that tests attack (quotes, backslashes, control characters, unicode).
Only the types listed in :func:`render_literal` are accepted; anything else is a ``TypeError``
rather than a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

__all__ = ["quote_identifier", "quote_string", "render_literal", "substitute_params"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"%\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)s|(?P<percent>%%)|(?P<stray>%)")
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # what Int64/UInt64 literals can hold


def quote_identifier(name: str) -> str:
    """Backquote a table, column or database name after checking it is a plain identifier.

    Examples
    --------
    >>> quote_identifier("complaints")
    '`complaints`'
    >>> quote_identifier("x`; DROP")
    Traceback (most recent call last):
    ...
    ValueError: not a plain SQL identifier: 'x`; DROP'
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f"`{name}`"


def quote_string(value: str) -> str:
    r"""A single-quoted string literal; backslash, quote and every control character are escaped.

    Control characters become ``\xHH`` so that no raw NUL or newline reaches the query text.

    Examples
    --------
    >>> print(quote_string("it's a \\ test\n"))
    'it\'s a \\ test\x0A'
    """
    out = []
    for char in value:
        if char in ("\\", "'"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def render_literal(value: object) -> str:
    """SQL literal for one value.

    Accepted: ``None``, ``bool`` (1/0), ``int``, ``float`` (including nan and inf), ``str``,
    ``datetime`` (naive means UTC; rendered as ``toDateTime(<epoch seconds>)`` so the server's time
    zone cannot shift it), ``date``, ``list`` (an array) and ``tuple`` (for ``IN``; must not be empty).

    Examples
    --------
    >>> render_literal(("a", 1, None))
    "('a', 1, NULL)"
    >>> render_literal([1.5, float("nan")])
    '[1.5, nan]'
    >>> render_literal(datetime(2024, 1, 2, 3, 4, 5))
    'toDateTime(1704164645)'
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(f"integer {value} does not fit a 64-bit ClickHouse integer")
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(float(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return f"toDateTime({math.floor(moment.timestamp())})"
    if isinstance(value, date):
        return f"toDate('{value.isoformat()}')"
    if isinstance(value, list):
        return "[" + ", ".join(render_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        if not value:
            raise ValueError("an empty tuple has no SQL literal; check for 'no values' before querying")
        return "(" + ", ".join(render_literal(item) for item in value) + ")"
    raise TypeError(f"no SQL literal for {type(value).__name__}; convert it to a supported type first")


def substitute_params(sql: str, params: Mapping[str, object] | None) -> str:
    """Replace every ``%(name)s`` in ``sql`` with the literal of ``params[name]``.

    Same placeholder style as clickhouse-driver (``%%`` is a literal percent sign when params are
    given); any other ``%`` is an error rather than something passed through.

    Examples
    --------
    >>> substitute_params("SELECT %(a)s, '%%'", {"a": "x'); DROP TABLE t; --"})
    "SELECT 'x\\\\'); DROP TABLE t; --', '%'"
    """
    if params is None:
        return sql

    def replace(match: re.Match[str]) -> str:
        if match.group("percent"):
            return "%"
        if match.group("stray"):
            raise ValueError(f"stray '%' at offset {match.start()}: write %% for a literal percent sign")
        name = match.group("name")
        if name not in params:
            raise KeyError(f"no value for placeholder %({name})s")
        return render_literal(params[name])

    return _TOKEN.sub(replace, sql)
