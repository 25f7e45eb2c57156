"""Rows of ``ticket_events``: checked and typed before they are inserted or buffered.

A row ClickHouse would refuse must be refused before a sink buffers it, or it would fail every
retry of its batch and stall the sink. Times may be epoch seconds or datetimes (naive means UTC)
and come back as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.clickhouse.analytics_filters import as_utc
from storage.clickhouse.analytics_schema import TICKET_EVENT_COLUMNS, TICKET_EVENT_KINDS

__all__ = ["TicketEventKey", "normalize_ticket_event", "ticket_event_key"]

#: What identifies a ticket event row: an event id is only unique within its complaint (a ticket
#: system may number each complaint's events from 1), and the kind is part of the table's
#: ReplacingMergeTree key too.
TicketEventKey = tuple[str, str, str]

_REQUIRED = ("event_id", "complaint_id", "at", "received_at")
_TEXTS = ("regulator_ref", "actor", "note")
_MAX_ID = 128
#: Largest values of the unsigned columns (``paused_s`` UInt32, ``limit_days`` UInt16) and of DateTime.
_UINT_MAX = {"paused_s": 2**32 - 1, "limit_days": 2**16 - 1}
_MAX_EPOCH = 2**32 - 1


def normalize_ticket_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A ``ticket_events`` row, every column present, typed and in column order (ValueError if bad).

    Examples
    --------
    >>> row = normalize_ticket_event({"event_id": "c1:r", "complaint_id": "c1", "kind": "responded",
    ...                               "at": 1709294700, "received_at": 1709294400, "actor": None})
    >>> row["at"].isoformat(), row["regulator_forwarded"], row["paused_s"], row["actor"]
    ('2024-03-01T12:05:00+00:00', 0, 0, '')
    >>> ticket_event_key(row)
    ('c1', 'responded', 'c1:r')
    """
    unknown = set(event) - set(TICKET_EVENT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown ticket event fields: {sorted(unknown)}")
    kind = event.get("kind")
    if kind not in TICKET_EVENT_KINDS:
        raise ValueError(f"ticket event kind must be one of {TICKET_EVENT_KINDS}, got {kind!r}")
    for required in _REQUIRED:
        if not event.get(required):
            raise ValueError(f"ticket event lacks {required}")
    row: dict[str, Any] = {"kind": kind}
    for name in ("event_id", "complaint_id"):
        value = event[name]
        if not isinstance(value, str) or len(value) > _MAX_ID:
            raise ValueError(f"ticket event {name} must be a string of at most {_MAX_ID} characters")
        row[name] = value
    for name in ("at", "received_at"):
        try:
            moment = as_utc(event[name])
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError(f"ticket event {name} must be epoch seconds or a datetime") from None
        if not 0 <= moment.timestamp() <= _MAX_EPOCH:
            raise ValueError(f"ticket event {name} is outside what DateTime holds")
        row[name] = moment
    row["regulator_forwarded"] = int(bool(event.get("regulator_forwarded")))
    for name in _TEXTS:
        value = event.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"ticket event {name} must be a string")
        row[name] = value or ""
    for name, largest in _UINT_MAX.items():
        value = event.get(name) or 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
            raise ValueError(f"ticket event {name} must be an integer in [0, {largest}]")
        row[name] = value
    return {column: row[column] for column in TICKET_EVENT_COLUMNS}


def ticket_event_key(row: Mapping[str, Any]) -> TicketEventKey:
    """The key a ticket event row is stored once under: (complaint id, kind, event id)."""
    return (row["complaint_id"], row["kind"], row["event_id"])
