"""Surge and silence rules: per-bucket counts from the ClickHouse rollups, a detector per series.

Why the rollups and not the classify agent's batches: the per-minute rollups are exact (the sink
drops redelivered complaints before they are counted), they hold history to learn from when a rule
is added, and they already count per channel, branch and line for the silence rule; a surge is
judged per bucket anyway, so reading a closed bucket a few seconds late costs nothing that matters.

Two steps, so that the detectors' state lives in a changelogged table written by an agent:

1. the leader's timer (:func:`tick_volume_series`) reads every closed bucket after the rule's
   cursor (kept in Redis), and sends one :class:`VolumeTick` per series and bucket, zeros included,
   keyed by ``rule_id|value``;
2. :func:`detect_volume_anomalies` feeds each tick to that series' detector (table
   ``volume-detectors``) and raises an alert when it fires; the alert lifecycle merges repeats.
"""

from __future__ import annotations

import logging
import math
import time
from functools import partial
from typing import Any

import faust

from alerts import Alert, SilenceRule, SurgeRule
from alerts.silence_detector import SilenceDetector, SilenceSignal
from alerts.surge_detector import SurgeDetector, SurgeSignal
from alerts.volume_rules import build_silence_alert, build_surge_alert
from config.settings import Settings
from events.ticket_records import VolumeTick
from storage.alert_cursors import AlertCursors
from storage.clickhouse.alert_volume_queries import first_minute, group_bucket_counts, tag_bucket_counts
from streams.decoding import decode_or_dead_letter
from streams.worker_metrics import count_raised
from streams.worker_parts import Worker

__all__ = ["install"]

log = logging.getLogger(__name__)

#: Ticks one timer round may send (a new rule's backfill is spread over several rounds).
MAX_TICKS_PER_ROUND = 20_000
#: A detector does not zero-fill a gap longer than this (a series gone for days starts over).
MAX_GAP_S = 86_400
#: Buckets that ended longer ago than this many bucket lengths, and at least STALE_MIN_S, when
#: detected are learned, not alerted: a new rule learning from history must not page anyone about
#: last week, while a worker catching up after a restart still alerts on the last minutes.
STALE_BUCKETS = 3
STALE_MIN_S = 900

VolumeRule = SurgeRule | SilenceRule


def install(worker: Worker) -> faust.types.AgentT:
    """Add the table ``volume-detectors``, the leader's :func:`tick_volume_series` timer and the
    :func:`detect_volume_anomalies` agent to the worker's app."""
    app, settings, context, alert_context = worker.app, worker.settings, worker.context, worker.alert_context
    #: ``rule_id|value`` -> ``{"params": detector parameters, "bucket": last bucket start,
    #: "detector": state}``
    volume_detectors = app.Table("volume-detectors", default=dict, partitions=settings.topic_partitions)

    @app.timer(settings.volume_tick_s, on_leader=True)
    async def tick_volume_series() -> None:
        """Send every closed bucket of every surge/silence rule's series to the detectors."""
        if not (alert_context.ready.is_set() and context.ready.is_set()):
            return
        now = time.time()
        rules = context.rules.rules
        for rule in (*rules.enabled_of(SurgeRule), *rules.enabled_of(SilenceRule)):
            try:
                await _tick_rule(worker, rule, now)
            except Exception as exc:  # ClickHouse or Redis away: the cursor stays, the next round retries
                log.warning("volume rule %s behind (will retry): %r", rule.id, exc)

    @app.agent(worker.topics.volume_ticks)
    async def detect_volume_anomalies(stream: faust.StreamT) -> None:
        """Every tick: feed the series' detector; raise an alert when it fires on a recent bucket."""
        await context.ready.wait()
        await alert_context.ready.wait()
        async for event in stream.events():
            tick = await decode_or_dead_letter(event, VolumeTick, worker.topics.deadletter)
            if tick is None:
                continue
            rule = context.rules.rules.get(tick.rule_id)
            if not isinstance(rule, SurgeRule | SilenceRule) or not rule.enabled:
                continue
            key = f"{tick.rule_id}|{tick.value}"
            detected = _detect(rule, tick, volume_detectors[key])
            if detected is None:
                continue  # redelivered
            signal, volume_detectors[key] = detected
            if signal is None:
                continue
            now = time.time()
            stale_after = max(rule.bucket_seconds * STALE_BUCKETS, STALE_MIN_S) + settings.volume_grace_s
            if tick.bucket_start + rule.bucket_seconds + stale_after < now:
                log.info(
                    "%s fired on past bucket %d of %s (learning history): not alerted",
                    rule.id,
                    tick.bucket_start,
                    tick.value,
                )
                continue
            await _raise(worker, rule, tick, signal, now)

    return detect_volume_anomalies


async def _tick_rule(worker: Worker, rule: VolumeRule, now: float) -> None:
    settings, alert_context = worker.settings, worker.alert_context
    size = rule.bucket_seconds
    cursors = AlertCursors(alert_context.redis, key_prefix=settings.redis_key_prefix)
    name = f"volume:{rule.id}:{size}"
    last_closed = math.floor((now - settings.volume_grace_s) / size) * size - size
    cursor = await cursors.get(name)
    if cursor is None:
        first = await alert_context.clickhouse(first_minute)
        if first is None:  # no history at all: start with the next bucket
            await cursors.set(name, last_closed)
            return
        backfill_from = now - settings.volume_backfill_days * 86_400
        cursor = math.floor(max(first, backfill_from) / size) * size - size
    start = cursor + size
    if start > last_closed:
        return
    values, counts = await alert_context.clickhouse(
        partial(_counts, settings, rule, since=start, until=last_closed + size)
    )
    if not values:
        await cursors.set(name, last_closed)
        return
    buckets = range(start, last_closed + size, size)[: max(1, MAX_TICKS_PER_ROUND // len(values))]
    for bucket in buckets:
        for value in values:
            tick = VolumeTick(
                rule_id=rule.id, value=value, bucket_start=bucket, count=counts.get((value, bucket), 0)
            )
            await worker.topics.volume_ticks.send(
                key=f"{rule.id}|{value}".encode(), value=tick.model_dump_json().encode()
            )
    await cursors.set(name, buckets[-1])
    log.debug("volume rule %s: %d bucket(s) x %d series sent", rule.id, len(buckets), len(values))


def _counts(
    settings: Settings, rule: VolumeRule, executor: Any, *, since: float, until: float
) -> tuple[list[str], dict[tuple[str, int], int]]:
    span = {
        "bucket_seconds": rule.bucket_seconds,
        "since": since,
        "until": until,
        "lookback_s": settings.volume_lookback_days * 86_400,
    }
    if isinstance(rule, SurgeRule):
        tags = None if rule.tag == "*" else ([rule.tag] if rule.tag else list(rule.tags or ()))
        return tag_bucket_counts(executor, dimension=rule.dimension, tags=tags, **span)
    values = getattr(rule.filters, rule.per) if rule.filters is not None else None
    return group_bucket_counts(executor, field=rule.per, values=values, **span)


def _detect(
    rule: VolumeRule, tick: VolumeTick, state: dict[str, Any]
) -> tuple[SurgeSignal | SilenceSignal | None, dict[str, Any]] | None:
    """Feed ``tick`` to its series' detector (state as the table holds it, zeros filling a gap):
    the signal, if any, and the state to store back; None for a redelivered tick."""
    detector: SurgeDetector | SilenceDetector = rule.detector()
    params = detector.to_dict()["params"]
    if state.get("params") == params and state.get("bucket") is not None:
        if tick.bucket_start <= state["bucket"]:
            return None
        detector = type(detector).from_dict(state["detector"])
        gap_from = max(state["bucket"] + rule.bucket_seconds, tick.bucket_start - MAX_GAP_S)
        for bucket in range(gap_from, tick.bucket_start, rule.bucket_seconds):
            detector.update(bucket, 0)
    signal = detector.update(tick.bucket_start, tick.count)
    return signal, {"params": params, "bucket": tick.bucket_start, "detector": detector.to_dict()}


async def _raise(
    worker: Worker, rule: VolumeRule, tick: VolumeTick, signal: SurgeSignal | SilenceSignal, now: float
) -> None:
    alert: Alert
    if isinstance(rule, SurgeRule) and isinstance(signal, SurgeSignal):
        alert = build_surge_alert(
            rule, tag=tick.value, bucket_start=tick.bucket_start, signal=signal, fired_at=now
        )
    elif isinstance(rule, SilenceRule) and isinstance(signal, SilenceSignal):
        alert = build_silence_alert(
            rule, value=tick.value, bucket_start=tick.bucket_start, signal=signal, fired_at=now
        )
    else:
        return
    outcome = await worker.alert_context.store.raise_alert(alert, cooldown_seconds=rule.cooldown_seconds)
    count_raised(rule.kind, [outcome])
    if outcome.event == "fired":
        log.warning("ALERT %s [%s] %s: %s", alert.alert_id, alert.severity, alert.rule_id, alert.reason)
