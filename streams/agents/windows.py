"""Keep each rule group's window counts in a table and fire an alert when one crosses its threshold."""

from __future__ import annotations

import logging
import time
from typing import Any

import faust

from alerts import ThresholdRule, cooldown_allows, evaluate_crossing
from hotline.settings import get_settings
from streams.app import app
from streams.decoding import decode_or_dead_letter
from streams.records import WindowIncrement
from streams.topics import window_increments
from streams.worker_context import context

__all__ = ["count_windows", "window_counts"]

log = logging.getLogger(__name__)
_settings = get_settings()

#: ``rule_id|group`` -> ``{"counts": {window_start: count}, "last_fired": window_start | None}``
#: (JSON, so window starts are strings). The topic feeding it is keyed the same way, so all of a
#: group's windows live in one partition and one changelog.
window_counts = app.Table("window-counts", default=dict, partitions=_settings.topic_partitions)


@app.agent(window_increments)
async def count_windows(stream: faust.StreamT) -> None:
    """Every increment: add it to its window, fire once when the count crosses the threshold."""
    await context.ready.wait()
    async for event in stream.events():
        increment = await decode_or_dead_letter(event, WindowIncrement)
        if increment is None:
            continue
        rule = context.rules.rules.get(increment.rule_id)
        if rule is None or not rule.enabled:
            log.info("increment for unknown or disabled rule %s dropped", increment.rule_id)
            continue
        key = f"{increment.rule_id}|{increment.group}"
        state: dict[str, Any] = window_counts[key]
        counts: dict[str, int] = state.setdefault("counts", {})
        before = counts.get(str(increment.window_start), 0)
        after = before + increment.count
        counts[str(increment.window_start)] = after
        _forget_old_windows(
            counts, keep_s=rule.window_seconds + _settings.window_retention_s, now=increment.last_event_at
        )
        if await _maybe_alert(
            rule, increment, before=before, after=after, last_fired=state.get("last_fired")
        ):
            state["last_fired"] = increment.window_start
        window_counts[key] = state  # assign back, or the changelog misses the change


def _forget_old_windows(counts: dict[str, int], *, keep_s: int, now: float) -> None:
    horizon = now - keep_s
    for start in [s for s in counts if int(s) < horizon]:
        del counts[start]


async def _maybe_alert(
    rule: ThresholdRule, increment: WindowIncrement, *, before: int, after: int, last_fired: int | None
) -> bool:
    """Publish the alert if this increment crossed the threshold; True when one fired."""
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
    if not cooldown_allows(rule.cooldown_seconds, last_fired, increment.window_start):
        log.info("alert %s suppressed: %s is cooling down", alert.alert_id, increment.group)
        return False
    entry = await context.alerts.publish(alert)
    if entry is None:
        log.info("alert %s already published (redelivery); not repeated", alert.alert_id)
    else:
        log.warning("ALERT %s [%s] %s: %s", alert.alert_id, alert.severity, alert.rule_id, alert.reason)
    return True
