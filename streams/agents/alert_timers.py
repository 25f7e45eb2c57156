"""Leader-only timers of the alert lifecycle: escalate unacknowledged alerts, archive alert events.

Both run on one worker (``on_leader=True``) and keep their progress outside the process (the
escalation schedule and the archive cursor are in Redis), so a new leader carries on where the old
one stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

from redis.exceptions import RedisError

from alerts import escalate
from storage.alert_states import AlertNotFound
from storage.clickhouse.alert_queries import insert_alert_events
from streams.alert_context import AlertContext
from streams.outage_log import OutageLog
from streams.worker_parts import Worker

__all__ = ["install"]

log = logging.getLogger(__name__)

#: Stream entries archived per ClickHouse insert.
ARCHIVE_BATCH = 2000
#: Reader name of the archiver's cursor in the alert stream.
ARCHIVE_READER = "clickhouse-archive"


def install(worker: Worker) -> None:
    """Add the leader's :func:`escalate_unacknowledged_alerts` and :func:`archive_alert_events`
    timers to the worker's app."""
    alert_context = worker.alert_context
    # Both timers retry every tick while a store is down: their logs say so sparsely.
    escalation_outage = OutageLog("escalation check", log)
    archive_outage = OutageLog("alert archive to ClickHouse", log)

    @worker.app.timer(worker.settings.alert_timer_s, on_leader=True)
    async def escalate_unacknowledged_alerts() -> None:
        """Hand every alert nobody acknowledged in time to on-call (an ``escalated`` event)."""
        if alert_context.ready.is_set():
            await _run_or_log(_escalate(alert_context), escalation_outage, RedisError)

    @worker.app.timer(worker.settings.alert_timer_s, on_leader=True)
    async def archive_alert_events() -> None:
        """Copy new alert stream entries to ClickHouse (idempotent: a row per entry id)."""
        if alert_context.ready.is_set():
            await _run_or_log(_archive(alert_context), archive_outage, Exception)


async def _run_or_log(work: Coroutine[Any, Any, None], outage: OutageLog, errors: type[Exception]) -> None:
    """Run a timer's round; a store being away is logged (sparsely) instead of stopping the worker:
    the progress kept outside the process stays, and the next tick carries on from it."""
    try:
        await work
    except errors as exc:
        outage.failed(exc)
        return
    outage.recovered()


async def _escalate(alert_context: AlertContext) -> None:
    store = alert_context.store
    now = time.time()
    for alert_id in await store.due_escalations(now):
        try:
            outcome = await store.transition(alert_id, partial(escalate, at=now), "escalated")
        except AlertNotFound:
            await store.forget_escalation(alert_id)
            continue
        if outcome.stream_id is not None:
            log.warning("ESCALATED %s: unacknowledged since %.0f", alert_id, outcome.alert.fired_at)
        else:  # acknowledged or resolved meanwhile
            await store.forget_escalation(alert_id)


async def _archive(alert_context: AlertContext) -> None:
    stream = alert_context.store.stream
    cursor = await stream.cursor(ARCHIVE_READER) or "0-0"
    while entries := await stream.read_entries(cursor, count=ARCHIVE_BATCH):
        rows = [(e.stream_id, e.event, e.alert) for e in entries]
        await alert_context.clickhouse(partial(insert_alert_events, entries=rows))
        cursor = entries[-1].stream_id
        await stream.set_cursor(ARCHIVE_READER, cursor)
        if len(entries) < ARCHIVE_BATCH:
            break
