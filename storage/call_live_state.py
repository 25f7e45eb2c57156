"""Live calls in Redis: what the API shows while a call goes on, and the per-frame replies path.

The API (which holds the connector's websocket) and the worker (which holds the recognizer) are
different processes, possibly several of each; they meet here. Keys, under the prefix passed in:

- ``<prefix>:call:<id>`` - hash: ``status`` (live | ended), ``source``, ``started_at``,
  ``last_activity``, ``sample_rate``, ``options`` and ``metadata`` (JSON), ``partial`` (the words
  so far of the current utterance), ``utterances`` (count), ``max_risk``, ``audio_seconds``, and
  once ended ``ended_at`` and ``end_reason``.
- ``<prefix>:calls:live`` - sorted set of live call ids by start time (``GET /api/v1/calls/live``).
- ``<prefix>:call:<id>:utterances`` - list of the call's final utterances (JSON), in order: the
  transcript so far, shared by whichever worker ends the call.
- ``<prefix>:call:<id>:replies`` - stream of the worker's reply to each frame (field ``r``, JSON
  ``{"connection", "seq", "kind", "message", "close"}``); the API's websocket handler reads it from
  the id it saw when the connection opened, so no reply is missed or sent to another connection.
- ``<prefix>:call:<id>:attached`` - id of the websocket connection streaming the call (with a TTL):
  one connection at a time, and a connector that lost its connection may reconnect and go on.
- ``<prefix>:calls:events`` - capped stream of what happens to every live call (field ``e``, JSON
  ``{"event", "call_id", ...}``): ``started``, ``partial`` (the words in progress changed),
  ``utterance`` (a final utterance with its risk) and ``ended``. ``WS /ws/live-calls`` fans it out to
  the dashboards; each is written by the same script or pipeline that changes the call's state.

Live keys expire :data:`LIVE_TTL_S` after the last frame (a safety net if no worker ever ends the
call); ended calls stay ``ended_ttl_s`` (the API answers from ClickHouse afterwards).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal, cast

import orjson
import redis.asyncio as aioredis

from storage.redis_stream_replies import xread_entries
from storage.redis_values import as_text, as_text_fields

__all__ = ["LIVE_EVENTS_MAXLEN", "LIVE_TTL_S", "READ_BLOCK_MS", "LiveCallStore"]

log = logging.getLogger(__name__)

#: A live call not heard from for this long is dropped from Redis even if no worker ended it.
LIVE_TTL_S = 6 * 3600
#: Replies kept per call: only the last few are ever read.
REPLIES_MAXLEN = 200
#: Live-call events kept (approximately): with ~5 partials a second per call, minutes of a busy
#: hotline; a dashboard further behind than that is cut off and reconnects from a fresh snapshot.
LIVE_EVENTS_MAXLEN = 10_000
#: Longest a read of replies or events waits for its first entry: the reader (a websocket handler)
#: gets control back this often to check its connection.
READ_BLOCK_MS = 1000

OpenResult = Literal["created", "live", "ended"]

# KEYS: call hash, live zset, events. ARGV: call id, started_at, then field/value pairs; then ttl ms,
# the ``started`` event and the events' maxlen.
_OPEN_LUA = """
local status = redis.call('HGET', KEYS[1], 'status')
if status then return status end
local fields = {}
for i = 3, #ARGV - 3 do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', 'live', unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[#ARGV - 2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[#ARGV], '*', 'e', ARGV[#ARGV - 1])
return 'created'
"""

# KEYS: call hash, utterances list, events. ARGV: utterance JSON, risk, ttl ms, event, events' maxlen.
_ADD_UTTERANCE_LUA = """
redis.call('RPUSH', KEYS[2], ARGV[1])
local best = tonumber(redis.call('HGET', KEYS[1], 'max_risk') or '0')
if tonumber(ARGV[2]) > best then redis.call('HSET', KEYS[1], 'max_risk', ARGV[2]) end
redis.call('HSET', KEYS[1], 'partial', '')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[4])
return redis.call('LLEN', KEYS[2])
"""

# KEYS: call hash, events. ARGV: the words in progress, the ``partial`` event, events' maxlen.
# Published only when the words changed: most frames of a call leave them as they were.
_SET_PARTIAL_LUA = """
if (redis.call('HGET', KEYS[1], 'partial') or '') == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'partial', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[2])
return 1
"""

# KEYS: call hash, live zset, utterances, replies, attached, events. ARGV: call id, then fields,
# then ttl ms, the ``ended`` event and the events' maxlen.
_END_LUA = """
if redis.call('HGET', KEYS[1], 'status') ~= 'live' then return 0 end
local fields = {}
for i = 2, #ARGV - 3 do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', 'ended', 'partial', '', unpack(fields))
redis.call('ZREM', KEYS[2], ARGV[1])
for i = 1, 4 do
  if i ~= 2 then redis.call('PEXPIRE', KEYS[i], ARGV[#ARGV - 2]) end
end
redis.call('DEL', KEYS[5])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[#ARGV], '*', 'e', ARGV[#ARGV - 1])
return 1
"""

# KEYS: attached. ARGV: connection id, ttl ms (0 = delete).
_REFRESH_ATTACH_LUA = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) == 0 then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

_FLOAT_FIELDS = ("started_at", "last_activity", "ended_at", "audio_seconds", "max_risk", "duration_s")
_INT_FIELDS = ("sample_rate", "utterances")
_JSON_FIELDS = ("options", "metadata")


def _event(kind: str, call_id: str, **fields: Any) -> bytes:
    """One live-call event as stored in the events stream."""
    return orjson.dumps({"event": kind, "call_id": call_id, **fields})


def _entries(reply: Any, field: str) -> list[tuple[str, Any]]:
    """``(entry id, field value)`` of an XREAD reply (RESP2 list or RESP3 dict), oldest first."""
    return [
        (as_text(entry_id), fields.get(field.encode(), fields.get(field)))
        for entry_id, fields in xread_entries(reply)
    ]


class LiveCallStore:
    """Live call state, transcript so far, reply streams and connection locks in Redis."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, ended_ttl_s: float) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.ended_ttl_ms = int(ended_ttl_s * 1000)
        self.live_ttl_ms = LIVE_TTL_S * 1000
        self._open = redis.register_script(_OPEN_LUA)
        self._add_utterance = redis.register_script(_ADD_UTTERANCE_LUA)
        self._set_partial = redis.register_script(_SET_PARTIAL_LUA)
        self._end = redis.register_script(_END_LUA)
        self._refresh_attach = redis.register_script(_REFRESH_ATTACH_LUA)

    # -- keys ----------------------------------------------------------------------------------
    def call_key(self, call_id: str) -> str:
        return f"{self.key_prefix}:call:{call_id}"

    @property
    def live_key(self) -> str:
        return f"{self.key_prefix}:calls:live"

    def utterances_key(self, call_id: str) -> str:
        return f"{self.call_key(call_id)}:utterances"

    def replies_key(self, call_id: str) -> str:
        return f"{self.call_key(call_id)}:replies"

    def attached_key(self, call_id: str) -> str:
        return f"{self.call_key(call_id)}:attached"

    @property
    def events_key(self) -> str:
        return f"{self.key_prefix}:calls:events"

    # -- call lifecycle --------------------------------------------------------------------------
    async def open_call(
        self,
        call_id: str,
        *,
        source: str,
        started_at: float,
        sample_rate: int,
        options: dict[str, Any],
        metadata: dict[str, Any],
        duration_s: float = 0.0,
    ) -> OpenResult:
        """Create the call unless it exists; say whether it was ``created``, is ``live`` or ``ended``.

        ``duration_s`` is a recording's length (0 for a live call), so its progress can be told."""
        fields: list[Any] = [
            "duration_s",
            repr(float(duration_s)),
            "source",
            source,
            "started_at",
            repr(started_at),
            "last_activity",
            repr(started_at),
            "sample_rate",
            sample_rate,
            "options",
            orjson.dumps(options),
            "metadata",
            orjson.dumps(metadata),
            "utterances",
            0,
            "max_risk",
            "0",
            "audio_seconds",
            "0",
            "partial",
            "",
        ]
        event = _event("started", call_id, source=source, started_at=started_at)
        result = await self._open(
            keys=[self.call_key(call_id), self.live_key, self.events_key],
            args=[call_id, repr(started_at), *fields, self.live_ttl_ms, event, LIVE_EVENTS_MAXLEN],
        )
        return cast(OpenResult, as_text(result))  # the script returns one of the three

    async def get_call(self, call_id: str) -> dict[str, Any] | None:
        """The call's state (numbers and JSON decoded), or None if Redis does not know it."""
        raw = await self.redis.hgetall(self.call_key(call_id))
        return self._decode(call_id, raw) if raw else None

    async def live_calls(self, limit: int = 500) -> list[dict[str, Any]]:
        """Live calls, oldest first; ids whose state expired are dropped from the live set."""
        ids = [as_text(i) for i in await self.redis.zrange(self.live_key, 0, limit - 1)]
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for call_id in ids:
                pipe.hgetall(self.call_key(call_id))
            states = await pipe.execute()
        calls, stale = [], []
        for call_id, raw in zip(ids, states, strict=True):
            state = self._decode(call_id, raw) if raw else None
            if state is None or state["status"] != "live":
                stale.append(call_id)
            else:
                calls.append(state)
        if stale:
            await self.redis.zrem(self.live_key, *stale)
        return calls

    async def forget_call(self, call_id: str) -> None:
        """Drop every trace of a call that never ran (refused for capacity): its id may be reused."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.call_key(call_id),
                self.utterances_key(call_id),
                self.replies_key(call_id),
                self.attached_key(call_id),
            )
            pipe.zrem(self.live_key, call_id)
            pipe.xadd(
                self.events_key,
                {"e": _event("ended", call_id, end_reason="refused", ended_at=time.time())},
                maxlen=LIVE_EVENTS_MAXLEN,
                approximate=True,
            )
            await pipe.execute()

    async def end_call(self, call_id: str, *, ended_at: float, reason: str, audio_seconds: float) -> bool:
        """Mark the call ended; True only for the one caller that ended it (others lost a race)."""
        ended = await self._end(
            keys=[
                self.call_key(call_id),
                self.live_key,
                self.utterances_key(call_id),
                self.replies_key(call_id),
                self.attached_key(call_id),
                self.events_key,
            ],
            args=[
                call_id,
                "ended_at",
                repr(ended_at),
                "end_reason",
                reason,
                "audio_seconds",
                repr(round(audio_seconds, 3)),
                self.ended_ttl_ms,
                _event("ended", call_id, end_reason=reason, ended_at=ended_at),
                LIVE_EVENTS_MAXLEN,
            ],
        )
        return bool(ended)

    # -- per frame and per utterance (worker) ----------------------------------------------------
    async def record_frame(
        self,
        call_id: str,
        *,
        at: float,
        partial: str | None,
        audio_seconds: float,
        reply: dict[str, Any] | None,
    ) -> None:
        """After a frame: update the call's progress and publish the reply (one round trip); a
        change of the words in progress is also a ``partial`` live-call event."""
        key = self.call_key(call_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                key, mapping={"last_activity": repr(at), "audio_seconds": repr(round(audio_seconds, 3))}
            )
            if partial is not None:
                await self._set_partial(
                    keys=[key, self.events_key],
                    args=[partial, _event("partial", call_id, partial=partial), LIVE_EVENTS_MAXLEN],
                    client=pipe,
                )
            pipe.pexpire(key, self.live_ttl_ms)
            if reply is not None:
                self._queue_reply(pipe, call_id, reply)
            await pipe.execute()

    async def publish_reply(self, call_id: str, reply: dict[str, Any]) -> None:
        """Publish one reply for the call's connection (errors, or a reply outside a frame)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self._queue_reply(pipe, call_id, reply)
            await pipe.execute()

    def _queue_reply(self, pipe: Any, call_id: str, reply: dict[str, Any]) -> None:
        key = self.replies_key(call_id)
        pipe.xadd(key, {"r": orjson.dumps(reply)}, maxlen=REPLIES_MAXLEN, approximate=True)
        pipe.pexpire(key, self.live_ttl_ms)

    async def add_utterance(self, call_id: str, utterance: dict[str, Any], risk: float) -> int:
        """Append a final utterance to the transcript so far (and publish it as an ``utterance``
        live-call event); returns the transcript's length."""
        count = await self._add_utterance(
            keys=[self.call_key(call_id), self.utterances_key(call_id), self.events_key],
            args=[
                orjson.dumps(utterance),
                repr(float(risk)),
                self.live_ttl_ms,
                _event("utterance", call_id, utterance=utterance),
                LIVE_EVENTS_MAXLEN,
            ],
        )
        return int(count)

    async def reserve_utterance_index(self, call_id: str) -> int:
        """The next utterance's position in the call (0, 1, ...), shared by every worker."""
        return int(await self.redis.hincrby(self.call_key(call_id), "utterances", 1)) - 1

    async def utterances(self, call_id: str) -> list[dict[str, Any]]:
        """The call's final utterances so far, in order."""
        return [orjson.loads(raw) for raw in await self.redis.lrange(self.utterances_key(call_id), 0, -1)]

    # -- replies (API) ---------------------------------------------------------------------------
    async def last_reply_id(self, call_id: str) -> str:
        """Id of the newest reply, ``0-0`` if none: read after it to get only new replies."""
        entries = await self.redis.xrevrange(self.replies_key(call_id), count=1)
        return as_text(entries[0][0]) if entries else "0-0"

    async def read_replies(
        self, call_id: str, after: str, *, block_ms: int = READ_BLOCK_MS, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        """Replies after ``after``, oldest first, waiting up to ``block_ms`` for the first."""
        reply = await self.redis.xread({self.replies_key(call_id): after}, count=count, block=block_ms)
        return [(entry_id, orjson.loads(raw)) for entry_id, raw in _entries(reply, "r")]

    # -- live-call events (API: the dashboards' feed) ---------------------------------------------
    async def last_event_id(self) -> str:
        """Id of the newest live-call event, ``0-0`` if none: read after it for only new events."""
        entries = await self.redis.xrevrange(self.events_key, count=1)
        return as_text(entries[0][0]) if entries else "0-0"

    async def read_events(
        self, after: str, *, block_ms: int = READ_BLOCK_MS, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        """Live-call events after ``after``, oldest first, waiting up to ``block_ms`` for the first."""
        reply = await self.redis.xread({self.events_key: after}, count=count, block=block_ms)
        return [(entry_id, orjson.loads(raw)) for entry_id, raw in _entries(reply, "e")]

    async def oldest_event_id(self) -> str | None:
        """Id of the oldest event still kept (a reader behind it has missed some), None if none."""
        entries = await self.redis.xrange(self.events_key, count=1)
        return as_text(entries[0][0]) if entries else None

    # -- one connection per call -----------------------------------------------------------------
    async def attach(self, call_id: str, connection: str, *, ttl_s: float) -> bool:
        """Claim the call for ``connection``; False while another live connection holds it."""
        return bool(
            await self.redis.set(self.attached_key(call_id), connection, nx=True, px=int(ttl_s * 1000))
        )

    async def keep_attached(self, call_id: str, connection: str, *, ttl_s: float) -> bool:
        """Extend the claim (the connection is alive); False if it was lost meanwhile."""
        refreshed = await self._refresh_attach(
            keys=[self.attached_key(call_id)], args=[connection, int(ttl_s * 1000)]
        )
        return bool(refreshed)

    async def detach(self, call_id: str, connection: str) -> None:
        """Release the claim if ``connection`` still holds it."""
        await self._refresh_attach(keys=[self.attached_key(call_id)], args=[connection, 0])

    def _decode(self, call_id: str, raw: dict[Any, Any]) -> dict[str, Any] | None:
        state: dict[str, Any] = as_text_fields(raw)
        if "status" not in state:
            return None  # a hash re-created by a late update after it expired
        state["call_id"] = call_id
        for name in _FLOAT_FIELDS:
            if name in state:
                state[name] = float(state[name] or 0.0)
        for name in _INT_FIELDS:
            if name in state:
                state[name] = int(state[name] or 0)
        for name in _JSON_FIELDS:
            state[name] = orjson.loads(state[name]) if state.get(name) else {}
        return state
