"""The alert fan-out: a capped Redis Stream that every ``/ws/alerts`` client reads and resumes from.

Keys (all under the prefix passed in):

- ``<prefix>:alerts`` - the stream; each entry is one event in an alert's life: ``alert``, the
  alert's JSON as it stands after the event (:meth:`alerts.Alert.to_ws_payload`), and ``event``
  (``fired``, ``updated``, ``acknowledged``, ``resolved``, ``escalated``; absent means ``fired``).
  Entry ids (``<ms>-<seq>``) only grow, so a client that remembers the last id it saw resumes
  exactly after it. Lifecycle events are appended by :mod:`storage.alert_states`.
- ``<prefix>:alerts:cursor:<reader>`` - how far a background reader (the ClickHouse archiver, each
  webhook) has got, so it resumes there after a restart.
- ``<prefix>:alerts:dedup:<alert_id>`` - marks an alert as published (value: its entry id), with a
  TTL. Alert ids are hashes of the dedup key, so a crossing evaluated twice (at-least-once
  processing) publishes once.

The check and the append run in one Lua script, atomically: no crash between "mark" and "append"
can lose an alert or publish it twice. Both keys are in one script, so this assumes a single Redis
(not Redis Cluster, where they would need a common hash tag).
"""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

import orjson
import redis.asyncio as aioredis

from alerts.alert import Alert
from storage.redis_stream_replies import xread_entries
from storage.redis_values import as_optional_text, as_text

__all__ = ["AlertStream", "StreamEntry"]

logger = logging.getLogger(__name__)

# Atomically: skip if the alert id was already published, else append (trimming approximately
# to MAXLEN, which is cheap) and remember the entry id under the dedup key for TTL seconds.
_PUBLISH_LUA = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return false
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'alert', ARGV[1])
redis.call('SET', KEYS[2], id, 'EX', ARGV[3])
return id
"""

_FIELD = "alert"
_EVENT_FIELD = "event"
_ENTRY_ID = re.compile(r"^(?:\$|\d+(?:-\d+)?)$")
_DEFAULT_DEDUP_TTL_S = 7 * 24 * 3600


class StreamEntry(NamedTuple):
    """One stream entry: its id (the resume cursor), what happened, and the alert after it."""

    stream_id: str
    event: str
    alert: dict[str, Any]


class AlertStream:
    """Publish alerts once each and read them back in order, from any point still in the stream.

    Works with clients made with or without ``decode_responses``.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        key_prefix: str,
        maxlen: int = 100_000,
        dedup_ttl_s: int = _DEFAULT_DEDUP_TTL_S,
    ) -> None:
        if maxlen < 1 or dedup_ttl_s < 1:
            raise ValueError("maxlen and dedup_ttl_s must be >= 1")
        self.redis = redis
        self.key_prefix = key_prefix
        self.maxlen = maxlen
        self.dedup_ttl_s = dedup_ttl_s
        self._publish_script = redis.register_script(_PUBLISH_LUA)

    @property
    def stream_key(self) -> str:
        return f"{self.key_prefix}:alerts"

    def dedup_key(self, alert_id: str) -> str:
        return f"{self.key_prefix}:alerts:dedup:{alert_id}"

    async def publish(self, alert: Alert) -> str | None:
        """Append ``alert`` unless its id was published within the dedup TTL.

        Returns the new entry id, or None for a duplicate.
        """
        payload = orjson.dumps(alert.to_ws_payload())
        entry_id = await self._publish_script(
            keys=[self.stream_key, self.dedup_key(alert.alert_id)],
            args=[payload, self.maxlen, self.dedup_ttl_s],
        )
        if entry_id is None:
            logger.debug("alert %s already published", alert.alert_id)
            return None
        logger.info("published alert %s (%s) as %s", alert.alert_id, alert.rule_id, as_text(entry_id))
        return as_text(entry_id)

    async def read(
        self, after_id: str = "$", count: int = 100, block_ms: int | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Entries strictly after ``after_id``, oldest first, as ``(entry_id, alert payload)``.

        ``after_id`` is an entry id a client saw last (resume exactly after it), ``"0-0"`` (or
        ``"0"``) for everything still in the stream, or ``"$"`` for only entries appended after
        this call starts: use ``"$"`` only for a first blocking read and continue from the last id
        returned, or entries appended between two calls are missed. An id older than the oldest
        kept entry (trimmed by ``maxlen``) resumes from the oldest kept one.

        ``block_ms`` None returns at once; otherwise waits up to that many milliseconds for a new
        entry (Redis semantics: 0 waits forever). Returns an empty list when nothing came.
        """
        return [
            (entry.stream_id, entry.alert) for entry in await self.read_entries(after_id, count, block_ms)
        ]

    async def read_entries(
        self, after_id: str = "$", count: int = 100, block_ms: int | None = None
    ) -> list[StreamEntry]:
        """Like :meth:`read`, with each entry's event type."""
        if not _ENTRY_ID.match(after_id):
            raise ValueError(f"not a stream entry id: {after_id!r}")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        if block_ms is not None and block_ms < 0:
            raise ValueError(f"block_ms must be >= 0, got {block_ms}")
        reply = await self.redis.xread({self.stream_key: after_id}, count=count, block=block_ms)
        return self._decode_entries(xread_entries(reply))

    async def latest(self, n: int) -> list[tuple[str, dict[str, Any]]]:
        """The last ``n`` entries, oldest first (a new client's backlog; resume from the last id)."""
        if n < 1:
            return []
        entries = await self.redis.xrevrange(self.stream_key, count=n)
        return self._decode(reversed(entries or []))

    async def last_id(self) -> str:
        """Id of the newest entry, ``"0-0"`` when the stream is empty: a race-free start for reads."""
        entries = await self.redis.xrevrange(self.stream_key, count=1)
        return as_text(entries[0][0]) if entries else "0-0"

    async def entry_id(self, alert_id: str) -> str | None:
        """The stream entry id an alert was published as (within the dedup TTL), else None.

        Lets a client that only kept an ``alert_id`` resume after it.
        """
        raw = await self.redis.get(self.dedup_key(alert_id))
        return as_optional_text(raw)

    def cursor_key(self, reader: str) -> str:
        return f"{self.key_prefix}:alerts:cursor:{reader}"

    async def cursor(self, reader: str) -> str | None:
        """The last entry id the named background reader (archiver, a webhook) has handled."""
        raw = await self.redis.get(self.cursor_key(reader))
        return as_optional_text(raw)

    async def set_cursor(self, reader: str, entry_id: str) -> None:
        """Remember that ``reader`` handled everything up to ``entry_id``."""
        if not _ENTRY_ID.match(entry_id):
            raise ValueError(f"not a stream entry id: {entry_id!r}")
        await self.redis.set(self.cursor_key(reader), entry_id)

    async def length(self) -> int:
        """Entries currently kept in the stream."""
        return int(await self.redis.xlen(self.stream_key))

    async def latest_entries(self, n: int) -> list[StreamEntry]:
        """Like :meth:`latest`, with each entry's event type."""
        if n < 1:
            return []
        entries = await self.redis.xrevrange(self.stream_key, count=n)
        return self._decode_entries(reversed(entries or []))

    def _decode(self, entries: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(entry.stream_id, entry.alert) for entry in self._decode_entries(entries)]

    def _decode_entries(self, entries: Any) -> list[StreamEntry]:
        out: list[StreamEntry] = []
        for raw_id, fields in entries:
            entry_id = as_text(raw_id)
            raw = fields.get(_FIELD) if _FIELD in fields else fields.get(_FIELD.encode())
            event = fields.get(_EVENT_FIELD) if _EVENT_FIELD in fields else fields.get(_EVENT_FIELD.encode())
            try:
                payload = orjson.loads(raw)
            except (orjson.JSONDecodeError, TypeError):
                logger.warning("skipping unreadable entry %s in %s", entry_id, self.stream_key)
                continue
            out.append(StreamEntry(entry_id, as_text(event) if event is not None else "fired", payload))
        return out
