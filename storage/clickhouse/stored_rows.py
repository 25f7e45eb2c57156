"""Result rows of the read queries as dicts by column, their values as the API shows them.

The driver hands back naive or pytz datetimes (``as_utc`` of :mod:`storage.clickhouse.analytics_filters`
makes them aware UTC ones), ``UInt8`` flags as ints (``bool``) and ``Float32``/``Decimal`` columns as
their own types (``float``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["stored_row"]


def stored_row(
    columns: Sequence[str], row: Sequence[Any], types: Mapping[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """``row`` keyed by ``columns``, each column named in ``types`` converted by its function.

    Examples
    --------
    >>> from datetime import datetime
    >>> from storage.clickhouse.analytics_filters import as_utc
    >>> stored_row(("at", "forwarded", "n"), (datetime(2025, 1, 1), 1, 3), {"at": as_utc, "forwarded": bool})
    {'at': datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), 'forwarded': True, 'n': 3}
    """
    item = dict(zip(columns, row, strict=True))
    for name, convert in types.items():
        item[name] = convert(item[name])
    return item
