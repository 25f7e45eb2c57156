"""Leader-only timers of the alert lifecycle: escalate unacknowledged alerts, archive alert events.

Both run on one worker (``on_leader=True``) and keep their progress outside the process (the
escalation schedule and the archive cursor are in Redis), so a new leader carries on where the old
one stopped.
"""

from __future__ import annotations

import logging
import time
from functools import partial

from redis.exceptions import RedisError

from alerts import escalate
from config.settings import get_settings
from storage.alert_states import AlertNotFound
from storage.clickhouse.alert_queries import insert_alert_events
from streams.alert_context import alert_context
from streams.app import app
from streams.outage_log import OutageLog

__all__ = ["archive_alert_events", "escalate_unacknowledged_alerts"]

log = logging.getLogger(__name__)
_settings = get_settings()

#: Stream entries archived per ClickHouse insert.
ARCHIVE_BATCH = 2000
#: Reader name of the archiver's cursor in the alert stream.
ARCHIVE_READER = "clickhouse-archive"
#: Both timers retry every tick while a store is down: their logs say so sparsely.
_escalation_outage = OutageLog("escalation check", log)
_archive_outage = OutageLog("alert archive to ClickHouse", log)


@app.timer(_settings.alert_timer_s, on_leader=True)
async def escalate_unacknowledged_alerts() -> None:
    """Hand every alert nobody acknowledged in time to on-call (an ``escalated`` event)."""
    if not alert_context.ready.is_set():
        return
    store = alert_context.store
    now = time.time()
    try:
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
    except RedisError as exc:  # Redis away: a timer error would stop the worker; the schedule stays
        _escalation_outage.failed(exc)
        return
    _escalation_outage.recovered()


@app.timer(_settings.alert_timer_s, on_leader=True)
async def archive_alert_events() -> None:
    """Copy new alert stream entries to ClickHouse (idempotent: a row per entry id)."""
    if not alert_context.ready.is_set():
        return
    stream = alert_context.store.stream
    try:
        cursor = await stream.cursor(ARCHIVE_READER) or "0-0"
        while entries := await stream.read_entries(cursor, count=ARCHIVE_BATCH):
            rows = [(e.stream_id, e.event, e.alert) for e in entries]
            await alert_context.clickhouse(partial(insert_alert_events, entries=rows))
            cursor = entries[-1].stream_id
            await stream.set_cursor(ARCHIVE_READER, cursor)
            if len(entries) < ARCHIVE_BATCH:
                break
    except Exception as exc:  # ClickHouse or Redis away: the cursor stays, the next tick retries
        _archive_outage.failed(exc)
        return
    _archive_outage.recovered()
