"""Deadline clocks of open complaints in Redis: each ticket's state, and when to look at it next.

Keys (under the prefix passed in):

- ``<prefix>:tickets:<complaint_id>`` - the ticket as JSON (:meth:`alerts.Ticket.to_dict`); expires
  ``ttl_s`` after its last change (a ticket nobody touches for that long is dropped);
- ``<prefix>:tickets:due`` - sorted set of complaint ids by the time their clocks next need a look
  (the leader's deadline timer pops what is due).

Two writers change a ticket (the ticket-event agent and the deadline timer), so every write is a
compare-and-set on the JSON read before: a lost race is retried with fresh state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import redis.asyncio as aioredis

from storage.redis_values import as_optional_text, as_text

__all__ = ["TicketStore"]

# KEYS: 1 ticket, 2 due zset. ARGV: 1 expected JSON ('' = absent), 2 new JSON, 3 ttl, 4 complaint id,
# 5 next check time ('' = none).
_CAS_LUA = """
local current = redis.call('GET', KEYS[1])
if not current then current = '' end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
end
return 1
"""


class _ScriptCall(TypedDict):
    keys: list[str]
    args: list[str | int]


class TicketStore:
    """Read tickets, write them atomically with their next check time, find the due ones."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, ttl_s: int = 90 * 86_400) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.ttl_s = ttl_s
        self._cas = redis.register_script(_CAS_LUA)

    def key(self, complaint_id: str) -> str:
        return f"{self.key_prefix}:tickets:{complaint_id}"

    @property
    def due_key(self) -> str:
        return f"{self.key_prefix}:tickets:due"

    async def get(self, complaint_id: str) -> str | None:
        """The ticket's JSON, or None."""
        raw = await self.redis.get(self.key(complaint_id))
        return as_optional_text(raw)

    async def compare_and_set(
        self, complaint_id: str, *, expected: str | None, new: str, next_check: float | None
    ) -> bool:
        """Store ``new`` if the ticket still is ``expected`` (None: absent); False when it changed."""
        ok = await self._cas(**self._cas_call(complaint_id, expected, new, next_check))
        return bool(ok)

    async def get_many(self, complaint_ids: Sequence[str]) -> list[str | None]:
        """The tickets' JSON (None where absent), in order: one round trip."""
        if not complaint_ids:
            return []
        raws = await self.redis.mget([self.key(c) for c in complaint_ids])
        return [as_optional_text(raw) for raw in raws]

    async def compare_and_set_many(
        self, writes: Sequence[tuple[str, str | None, str, float | None]]
    ) -> list[bool]:
        """:meth:`compare_and_set` for many ``(complaint_id, expected, new, next_check)``: one round trip."""
        if not writes:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for complaint_id, expected, new, next_check in writes:
                await self._cas(**self._cas_call(complaint_id, expected, new, next_check), client=pipe)
            return [bool(ok) for ok in await pipe.execute()]

    def _cas_call(
        self, complaint_id: str, expected: str | None, new: str, next_check: float | None
    ) -> _ScriptCall:
        """The keys and arguments of the compare-and-set script for one ticket."""
        next_check_arg = "" if next_check is None else repr(next_check)
        return _ScriptCall(
            keys=[self.key(complaint_id), self.due_key],
            args=[expected or "", new, self.ttl_s, complaint_id, next_check_arg],
        )

    async def due(self, now: float, limit: int = 500) -> list[str]:
        """Complaint ids whose next check time has come, earliest first."""
        raw = await self.redis.zrangebyscore(self.due_key, "-inf", now, start=0, num=limit)
        return [as_text(member) for member in raw]

    async def forget(self, complaint_id: str) -> None:
        """Stop checking a ticket (e.g. it expired)."""
        await self.redis.zrem(self.due_key, complaint_id)
