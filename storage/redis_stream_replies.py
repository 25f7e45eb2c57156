"""Flatten an XREAD reply, whichever protocol the connection speaks: RESP2 replies
``[[stream, entries]]``, RESP3 ``{stream: [entries]}`` with the entries wrapped once more."""

from __future__ import annotations

from typing import Any

__all__ = ["xread_entries"]


def xread_entries(reply: Any) -> list[tuple[Any, Any]]:
    """``(entry id, fields)`` of every stream in an XREAD reply, oldest first per stream.

    Examples
    --------
    >>> xread_entries([[b"s", [(b"1-0", {b"f": b"v"})]]])
    [(b'1-0', {b'f': b'v'})]
    >>> xread_entries({b"s": [[(b"1-0", {b"f": b"v"})]]})
    [(b'1-0', {b'f': b'v'})]
    >>> xread_entries(None)
    []
    """
    if not reply:
        return []
    streams = reply.items() if isinstance(reply, dict) else reply
    entries: list[tuple[Any, Any]] = []
    for _, stream_entries in streams:
        if stream_entries and isinstance(stream_entries[0], list):
            stream_entries = stream_entries[0]  # RESP3 wraps the entries once more
        entries.extend(stream_entries)
    return entries
