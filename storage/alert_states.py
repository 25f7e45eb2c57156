"""Where each alert stands, in Redis next to the alert stream, changed atomically with it.

Every change of an alert (fired, a repeat counted, acknowledged, resolved, escalated) is read,
computed by the pure rules of :mod:`alerts.lifecycle`, and written back by one Lua script that
checks nothing changed meanwhile (compare-and-set on the stored JSON), stores the new state and
appends the event to the stream - so the state and what clients were told never disagree, and a
crash cannot leave one without the other. A lost race is simply retried.

Keys (under the prefix passed in; the stream and dedup keys are :class:`AlertStream`'s):

- ``<prefix>:alerts:state:<alert_id>`` - the alert's current JSON (expires ``ttl_s`` after its
  last change; ClickHouse keeps the history).
- ``<prefix>:alerts:open:<series hash>`` - id of the series' alert that repeats merge into.
- ``<prefix>:alerts:dedup:<occurrence id>`` - an occurrence (a fired alert's id, or the id a
  repeat would have had) already counted: a redelivered evaluation changes nothing.
- ``<prefix>:alerts:dedup:<alert_id>:<event>`` - acknowledged/resolved/escalated once.
- ``<prefix>:alerts:escalation`` - sorted set of alert ids by the time they escalate unless
  acknowledged first.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from functools import partial
from typing import Any, Literal, NamedTuple

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from alerts import Alert, Severity, Silence, escalation_due_at, merge_repeat, silenced_by
from alerts.alert import AlertEventType
from storage.alert_stream import AlertStream
from storage.redis_values import as_optional_text, as_text

__all__ = ["AlertNotFound", "AlertStore", "RaiseOutcome", "TransitionOutcome"]

log = logging.getLogger(__name__)

# KEYS: 1 stream, 2 state, 3 dedup, 4 open, 5 escalation zset
# ARGV: 1 expected state ('' = must not exist), 2 new state, 3 event, 4 maxlen, 5 ttl,
#       6 expected open ('*' = do not check, '' = must not exist), 7 open action (set|del|keep),
#       8 alert id, 9 escalation action (add|rem|keep), 10 escalation score
_APPLY_LUA = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {'dup', ''} end
local current = redis.call('GET', KEYS[2])
if not current then current = '' end
if current ~= ARGV[1] then return {'conflict', ''} end
if ARGV[6] ~= '*' then
  local open = redis.call('GET', KEYS[4])
  if not open then open = '' end
  if open ~= ARGV[6] then return {'conflict', ''} end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'alert', ARGV[2], 'event', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
redis.call('SET', KEYS[3], id, 'EX', ARGV[5])
if ARGV[7] == 'set' then
  redis.call('SET', KEYS[4], ARGV[8], 'EX', ARGV[5])
elseif ARGV[7] == 'del' and redis.call('GET', KEYS[4]) == ARGV[8] then
  redis.call('DEL', KEYS[4])
end
if ARGV[9] == 'add' then
  redis.call('ZADD', KEYS[5], ARGV[10], ARGV[8])
elseif ARGV[9] == 'rem' then
  redis.call('ZREM', KEYS[5], ARGV[8])
end
return {'ok', id}
"""

#: Attempts at a change that keeps losing races before giving up (each attempt re-reads).
MAX_ATTEMPTS = 8


class AlertNotFound(LookupError):
    """No alert with that id (never fired, or expired from Redis)."""


class RaiseOutcome(NamedTuple):
    """What raising a candidate alert did: ``fired`` a new alert, ``updated`` the open one of its
    series, or nothing (``event`` None: this occurrence was already counted)."""

    event: Literal["fired", "updated"] | None
    alert: Alert | None
    stream_id: str | None


class TransitionOutcome(NamedTuple):
    """The alert after an acknowledge/resolve/escalate; ``stream_id`` None when nothing changed."""

    alert: Alert
    stream_id: str | None


def _log_unreachable(state: RetryCallState, *, n_alerts: int) -> None:
    """One line per failed attempt (no traceback): a Redis outage of minutes stays readable."""
    exc = state.outcome.exception() if state.outcome is not None else None
    log.warning(
        "Redis unreachable: %d alert(s) not stored yet (attempt %d, %s); retrying in %.1f s",
        n_alerts,
        state.attempt_number,
        type(exc).__name__,
        state.upcoming_sleep,
    )


def _dump(alert: Alert) -> str:
    return orjson.dumps(alert.to_ws_payload()).decode()


@dataclass(eq=False)
class AlertStore:
    """Raise alerts (new or repeat) and move them through their lifecycle, atomically with the stream.

    ``escalate_after_s``/``escalate_min_severity`` decide which new alerts are scheduled to escalate
    when nobody acknowledges them (None: never). ``unreachable_retry_s`` > 0 makes :meth:`raise_many`
    wait out a Redis outage (retrying with backoff capped at ``unreachable_backoff_max_s``) instead of
    failing: a worker's agent then pauses rather than losing the alert. Retries are safe: an alert
    that reached Redis before the connection broke is recognised by its dedup key.
    """

    redis: aioredis.Redis
    _: KW_ONLY
    key_prefix: str
    maxlen: int = 100_000
    ttl_s: int = 7 * 24 * 3600
    escalate_after_s: float | None = None
    escalate_min_severity: Severity = "critical"
    unreachable_retry_s: float = 0.0
    unreachable_backoff_max_s: float = 5.0
    #: Silences in force (the worker refreshes them): a muted alert is recorded, marked, not pushed.
    silences: Sequence[Silence] = field(default=(), init=False)

    def __post_init__(self) -> None:
        self.stream = AlertStream(
            self.redis, key_prefix=self.key_prefix, maxlen=self.maxlen, dedup_ttl_s=self.ttl_s
        )
        self._apply = self.redis.register_script(_APPLY_LUA)

    # -- keys ---------------------------------------------------------------------------------------
    def state_key(self, alert_id: str) -> str:
        return f"{self.key_prefix}:alerts:state:{alert_id}"

    def open_key(self, series: str) -> str:
        digest = hashlib.blake2b(series.encode("utf-8"), digest_size=12).hexdigest()
        return f"{self.key_prefix}:alerts:open:{digest}"

    @property
    def escalation_key(self) -> str:
        return f"{self.key_prefix}:alerts:escalation"

    # -- reads --------------------------------------------------------------------------------------
    async def get(self, alert_id: str) -> Alert | None:
        """The alert as it stands now, or None."""
        raw = await self.redis.get(self.state_key(alert_id))
        return Alert.model_validate_json(raw) if raw is not None else None

    async def due_escalations(self, now: float, limit: int = 100) -> list[str]:
        """Ids of alerts whose escalation time has come, oldest first."""
        raw = await self.redis.zrangebyscore(self.escalation_key, "-inf", now, start=0, num=limit)
        return [as_text(member) for member in raw]

    async def forget_escalation(self, alert_id: str) -> None:
        """Stop tracking an alert for escalation (e.g. it expired before its time came)."""
        await self.redis.zrem(self.escalation_key, alert_id)

    # -- raising ------------------------------------------------------------------------------------
    async def raise_alert(self, candidate: Alert, *, cooldown_seconds: int | None = None) -> RaiseOutcome:
        """Fire ``candidate``, or count it as a repeat of its series' open alert (see
        :func:`alerts.merge_repeat`), or do nothing if this occurrence was already counted."""
        return (await self.raise_many([(candidate, cooldown_seconds)]))[0]

    async def raise_many(self, candidates: Sequence[tuple[Alert, int | None]]) -> list[RaiseOutcome]:
        """:meth:`raise_alert` for many candidates, in order, with two round trips per attempt.

        Candidates of one series in one call are applied in order: the later ones lose the race to
        the first and, retried, become its repeats.
        """
        if self.unreachable_retry_s <= 0:
            return await self._raise_many_once(candidates)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((RedisConnectionError, RedisTimeoutError, OSError)),
            wait=wait_exponential(multiplier=0.2, max=self.unreachable_backoff_max_s) + wait_random(0, 0.2),
            stop=stop_after_delay(self.unreachable_retry_s),
            before_sleep=partial(_log_unreachable, n_alerts=len(candidates)),
            reraise=True,
        )
        return await retrying(self._raise_many_once, candidates)

    async def _raise_many_once(self, candidates: Sequence[tuple[Alert, int | None]]) -> list[RaiseOutcome]:
        candidates = self._mark_silenced(candidates)
        outcomes: list[RaiseOutcome | None] = [None] * len(candidates)
        # Alerts without a series never merge: one write each, no read first (the common case at
        # high rates: every forwarded complaint, every deadline).
        await self._raise_unmerged(
            candidates, [i for i, (a, _) in enumerate(candidates) if not a.series], outcomes
        )
        pending = [i for i, (a, _) in enumerate(candidates) if a.series]
        for _ in range(MAX_ATTEMPTS):
            if not pending:
                break
            pending = await self._raise_attempt(candidates, pending, outcomes)
        for index in pending:
            log.error("alert %s not raised: it kept losing races", candidates[index][0].alert_id)
            outcomes[index] = RaiseOutcome(None, None, None)
        return [outcome or RaiseOutcome(None, None, None) for outcome in outcomes]

    async def _raise_unmerged(
        self,
        candidates: Sequence[tuple[Alert, int | None]],
        indexes: list[int],
        outcomes: list[RaiseOutcome | None],
    ) -> None:
        if not indexes:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for index in indexes:
                await self._queue_fire(pipe, candidates[index][0], expected_open="*", open_action="keep")
            results = await pipe.execute()
        for index, (status, stream_id) in zip(indexes, results, strict=True):
            # 'dup' or 'conflict' (its state exists): this alert was raised before.
            fired = as_text(status) == "ok"
            outcomes[index] = (
                RaiseOutcome("fired", candidates[index][0], as_text(stream_id))
                if fired
                else RaiseOutcome(None, None, None)
            )

    async def _raise_attempt(
        self,
        candidates: Sequence[tuple[Alert, int | None]],
        pending: list[int],
        outcomes: list[RaiseOutcome | None],
    ) -> list[int]:
        """One read-compute-write pass over ``pending``; returns the indexes that must be retried."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for index in pending:
                alert = candidates[index][0]
                pipe.exists(self.stream.dedup_key(alert.alert_id))
                pipe.exists(self.state_key(alert.alert_id))
                if alert.series:
                    pipe.get(self.open_key(alert.series))
                else:
                    pipe.echo("")
            read = await pipe.execute()
        open_ids: dict[int, str] = {}
        for n, index in enumerate(pending):
            seen, exists, open_id = read[3 * n : 3 * n + 3]
            if seen or exists:
                outcomes[index] = RaiseOutcome(None, None, None)
            else:
                open_ids[index] = as_text(open_id) if open_id else ""
        todo = [index for index in pending if index in open_ids]
        currents: dict[str, str | None] = {}
        wanted = sorted({open_ids[i] for i in todo if open_ids[i]})
        if wanted:
            values = await self.redis.mget([self.state_key(alert_id) for alert_id in wanted])
            currents = {a: (as_optional_text(v)) for a, v in zip(wanted, values, strict=True)}
        plans: list[tuple[int, Literal["fired", "updated"], Alert]] = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for index in todo:
                candidate, cooldown = candidates[index]
                open_id = open_ids[index]
                current_json = currents.get(open_id) if open_id else None
                merged = None
                if current_json is not None:
                    merged = merge_repeat(
                        Alert.model_validate_json(current_json), candidate, cooldown_seconds=cooldown
                    )
                if merged is not None and current_json is not None:
                    plans.append((index, "updated", merged))
                    await self._queue_apply(
                        pipe,
                        merged,
                        expected=current_json,
                        event="updated",
                        dedup=self.stream.dedup_key(candidate.alert_id),
                        expected_open=open_id,
                        open_action="set",
                    )
                else:
                    plans.append((index, "fired", candidate))
                    await self._queue_fire(
                        pipe,
                        candidate,
                        expected_open=open_id if candidate.series else "*",
                        open_action="set" if candidate.series else "keep",
                    )
            results = await pipe.execute()
        retry: list[int] = []
        for (index, event, alert), (status, stream_id) in zip(plans, results, strict=True):
            status = as_text(status)
            if status == "ok":
                outcomes[index] = RaiseOutcome(event, alert, as_text(stream_id))
            elif status == "dup":
                outcomes[index] = RaiseOutcome(None, None, None)
            else:
                retry.append(index)
        return sorted(retry)

    def _mark_silenced(
        self, candidates: Sequence[tuple[Alert, int | None]]
    ) -> Sequence[tuple[Alert, int | None]]:
        if not self.silences:
            return candidates
        now = time.time()
        marked = []
        for alert, cooldown in candidates:
            silence_id = silenced_by(self.silences, alert, now=now)
            marked.append(
                (alert.model_copy(update={"silenced_by": silence_id}) if silence_id else alert, cooldown)
            )
        return marked

    def _escalation_due(self, alert: Alert) -> float | None:
        if self.escalate_after_s is None or alert.silenced_by:  # a muted alert does not page anyone
            return None
        return escalation_due_at(
            alert, after_seconds=self.escalate_after_s, min_severity=self.escalate_min_severity
        )

    async def _queue_fire(
        self, client: Any, alert: Alert, *, expected_open: str, open_action: Literal["set", "keep"]
    ) -> Any:
        """:meth:`_queue_apply` of a new alert (``fired``), put on the escalation schedule if it escalates."""
        due = self._escalation_due(alert)
        return await self._queue_apply(
            client,
            alert,
            expected="",
            event="fired",
            dedup=self.stream.dedup_key(alert.alert_id),
            expected_open=expected_open,
            open_action=open_action,
            escalation=("add", due) if due is not None else ("keep", 0.0),
        )

    async def _queue_apply(
        self,
        client: Any,
        alert: Alert,
        *,
        expected: str,
        event: AlertEventType,
        dedup: str,
        expected_open: str,
        open_action: Literal["set", "del", "keep"],
        escalation: tuple[Literal["add", "rem", "keep"], float] = ("keep", 0.0),
    ) -> Any:
        return await self._apply(
            keys=[
                self.stream.stream_key,
                self.state_key(alert.alert_id),
                dedup,
                self.open_key(alert.series) if alert.series else self.open_key(f"<none>|{alert.alert_id}"),
                self.escalation_key,
            ],
            args=[
                expected,
                _dump(alert),
                event,
                self.stream.maxlen,
                self.ttl_s,
                expected_open,
                open_action,
                alert.alert_id,
                escalation[0],
                repr(escalation[1]),
            ],
            client=client,
        )

    # -- transitions --------------------------------------------------------------------------------
    async def transition(
        self, alert_id: str, change: Callable[[Alert], Alert | None], event: AlertEventType
    ) -> TransitionOutcome:
        """Apply ``change`` (e.g. ``lambda a: acknowledge(a, by=..., at=...)``) atomically.

        Raises
        ------
        AlertNotFound
            When there is no such alert.
        alerts.TransitionError
            When ``change`` refuses (e.g. acknowledging a resolved alert).
        """
        for _ in range(MAX_ATTEMPTS):
            raw = await self.redis.get(self.state_key(alert_id))
            if raw is None:
                raise AlertNotFound(alert_id)
            current_json = as_text(raw)
            current = Alert.model_validate_json(current_json)
            changed = change(current)
            if changed is None:
                return TransitionOutcome(current, None)
            status, stream_id = await self._queue_apply(
                self.redis,
                changed,
                expected=current_json,
                event=event,
                dedup=f"{self.stream.dedup_key(alert_id)}:{event}",
                expected_open="*",
                open_action="del" if changed.status == "resolved" else "keep",
                escalation=("rem", 0.0)
                if changed.status != "open" or changed.escalated_at
                else ("keep", 0.0),
            )
            status = as_text(status)
            if status == "ok":
                return TransitionOutcome(changed, as_text(stream_id))
            if status == "dup":  # the same event applied meanwhile by someone else
                latest = await self.get(alert_id)
                return TransitionOutcome(latest or changed, None)
        raise RuntimeError(f"alert {alert_id}: {event} kept losing races")
