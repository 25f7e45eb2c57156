"""Keep each rule group's window counts in a table and fire an alert when one crosses its threshold.

Why a plain table of per-window counts and not Faust's windowed tables (``Table.tumbling`` /
``hopping``): a count here must be exactly-once across redeliveries (the per-partition watermarks
in the same table entry, see :func:`_not_yet_counted`), the firing state (``last_fired``) must
change atomically with the counts, and a window's time is the complaint's, set by the classify
agent per rule (tumbling or sliding, per-rule lengths); Faust's windowed tables key windows by the
stream's own timestamps, one window shape per table, and keep no state beside the values. Above
all, rules and their window lengths are reloaded while the worker runs, and a Faust table must be
declared before it starts: a table per window shape cannot follow a rule edit. So no throughput
comparison was made; the choice is about what each can express.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import faust

from alerts import ThresholdRule, evaluate_crossing
from events.records import WindowIncrement, WindowIncrementBatch, is_batch_record
from streams.decoding import decode_or_dead_letter
from streams.worker_metrics import count_raised, stage_cpu
from streams.worker_parts import Worker

__all__ = ["install"]

log = logging.getLogger(__name__)


def install(worker: Worker) -> faust.types.AgentT:
    """Add the table ``window-counts`` and the :func:`count_windows` agent to the worker's app."""
    app, context, alert_context = worker.app, worker.context, worker.alert_context
    deadletter = worker.topics.deadletter
    #: ``rule_id|group`` -> ``{"counts": {window_start: count}, "last_fired": window_start | None,
    #: "counted_up_to": {"partition@window_start": position}}`` (JSON, so the inner keys are strings).
    #: The topic feeding it puts each key's increments in the key's partition, so all of a group's
    #: windows live in one partition and one changelog.
    window_counts = app.Table("window-counts", default=dict, partitions=worker.settings.topic_partitions)

    @app.agent(worker.topics.window_increments)
    async def count_windows(stream: faust.StreamT) -> None:
        """Every increment: add it to its window, fire once when the count crosses the threshold."""
        await context.ready.wait()
        await alert_context.ready.wait()
        async for event in stream.events():
            for increment in await _increments(event, deadletter):
                with stage_cpu("window_alerts"):  # the synchronous part: an await would count other tasks
                    counted = _count(worker, window_counts, increment)
                if counted is None:
                    continue
                rule, key, state, before, after = counted
                # Raised before the state is stored: a crash in between re-counts and the alert dedups.
                if await _maybe_alert(worker, rule, increment, before=before, after=after):
                    state["last_fired"] = increment.window_start
                window_counts[key] = state  # assign back, or the changelog misses the change

    return count_windows


async def _increments(event: faust.EventT, deadletter: faust.ChannelT) -> tuple[WindowIncrement, ...]:
    """A batch record's increments (or one increment, as records before batches were)."""
    if isinstance(event.value, bytes) and is_batch_record(event.value, "increments"):
        batch = await decode_or_dead_letter(event, WindowIncrementBatch, deadletter)
        return () if batch is None else batch.increments
    increment = await decode_or_dead_letter(event, WindowIncrement, deadletter)
    return () if increment is None else (increment,)


def _count(
    worker: Worker, window_counts: Mapping[str, Any], increment: WindowIncrement
) -> tuple[ThresholdRule, str, dict[str, Any], int, int] | None:
    """Add the increment's new complaints to its window: (rule, key, state, count before, after),
    or None when there is nothing to count."""
    rule = worker.context.rules.rules.get(increment.rule_id)
    if rule is None or not rule.enabled or not isinstance(rule, ThresholdRule):
        log.info("increment for unknown or disabled rule %s dropped", increment.rule_id)
        return None
    key = f"{increment.rule_id}|{increment.group}"
    state: dict[str, Any] = window_counts[key]
    fresh = _not_yet_counted(state, increment)
    if not fresh:
        log.info(
            "increment for %s at positions <= %d already counted (redelivery)", key, increment.offsets[-1]
        )
        return None
    counts: dict[str, int] = state.setdefault("counts", {})
    before = counts.get(str(increment.window_start), 0)
    after = before + fresh
    counts[str(increment.window_start)] = after
    _forget_old_windows(
        state, keep_s=rule.window_seconds + worker.settings.window_retention_s, now=increment.last_event_at
    )
    return rule, key, state, before, after


def _not_yet_counted(state: dict[str, Any], increment: WindowIncrement) -> int:
    """How many of the increment's complaints are new, advancing the per-partition watermark.

    Offsets of one source partition reach a key in increasing order; a restarted worker re-reads
    from its last commit, so anything at or below the watermark was counted already.
    """
    watermarks: dict[str, int] = state.setdefault("counted_up_to", {})
    # Per window too: with sliding windows the same complaints count in several windows of a key.
    mark = f"{increment.source_partition}@{increment.window_start}"
    seen = watermarks.get(mark, -1)
    fresh = sum(1 for offset in increment.offsets if offset > seen)
    watermarks[mark] = max(seen, increment.offsets[-1])
    return fresh


def _forget_old_windows(state: dict[str, Any], *, keep_s: int, now: float) -> None:
    horizon = now - keep_s
    counts: dict[str, int] = state.get("counts", {})
    for start in [s for s in counts if int(s) < horizon]:
        del counts[start]
    watermarks: dict[str, int] = state.get("counted_up_to", {})
    for mark in [m for m in watermarks if "@" in m and int(m.split("@")[1]) < horizon]:
        del watermarks[mark]


async def _maybe_alert(
    worker: Worker, rule: ThresholdRule, increment: WindowIncrement, *, before: int, after: int
) -> bool:
    """Raise the alert if this increment crossed the threshold; True when the window crossed.

    A crossing of a group whose alert is still open (within the rule's cooldown) counts as a repeat
    of that alert instead of a new one (``alerts.lifecycle``).
    """
    alert = evaluate_crossing(
        rule,
        group=increment.group,
        window_start=increment.window_start,
        before=before,
        after=after,
        fired_at=time.time(),
    )
    if alert is None:
        return False
    outcome = await worker.alert_context.store.raise_alert(alert, cooldown_seconds=rule.cooldown_seconds)
    count_raised("threshold", [outcome])
    if outcome.event is None:
        log.info("alert %s already raised (redelivery); not repeated", alert.alert_id)
    elif outcome.alert is not None and outcome.event == "updated":
        log.info("alert %s repeats: %d occurrence(s)", outcome.alert.alert_id, outcome.alert.occurrences)
    else:
        log.warning("ALERT %s [%s] %s: %s", alert.alert_id, alert.severity, alert.rule_id, alert.reason)
    return True
