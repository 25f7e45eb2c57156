"""What a worker's alert agents share: the alert store (lifecycle + stream), the published rules and
the silences.

A service next to :mod:`streams.worker_context` (which owns the complaint sink, the model and the
rules file); this one keeps the rules in step with ``PUT /api/v1/rules`` and the silences with
``POST /api/v1/silences``, and gives every alert agent one :class:`~storage.alert_states.AlertStore`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import redis.asyncio as aioredis

from config.settings import Settings
from storage.alert_rules_store import RulesStore
from storage.alert_states import AlertStore
from storage.clickhouse import ClickHouseExecutor, DriverExecutor
from storage.silences import SilenceStore
from streams.alert_webhooks import WebhookDispatcher
from streams.outage_log import OutageLog
from streams.service_timers import start_timer
from streams.worker_context import WorkerContext
from streams.worker_service import WorkerService

__all__ = ["AlertContext"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class AlertContext(WorkerService):
    """Redis clients and stores of the alert agents of one worker process."""

    def __init__(
        self,
        settings: Settings,
        *,
        context: WorkerContext,
        is_leader: Callable[[], bool],
        **kwargs: object,
    ) -> None:
        #: The worker's context, whose rules the published rules are applied to.
        self.context = context
        self.is_leader = is_leader
        # One thread (and one connection) for the alert agents' ClickHouse work: the driver's
        # client is not thread-safe, and these queries are small.
        self._clickhouse_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts-clickhouse")
        self._clickhouse: ClickHouseExecutor | None = None
        self._rules_outage = OutageLog("reading published rules (the rules in force stay)", log)
        self._silences_outage = OutageLog("reading silences (the silences in force stay)", log)
        super().__init__(settings, **kwargs)

    async def on_start(self) -> None:
        s = self.settings
        self.redis = aioredis.Redis.from_url(s.redis_url)
        self.store = AlertStore(
            self.redis,
            key_prefix=s.redis_key_prefix,
            maxlen=s.alert_stream_maxlen,
            ttl_s=s.alert_dedup_ttl_s,
            escalate_after_s=s.alert_escalate_after_s,
            escalate_min_severity=s.alert_escalate_min_severity,
            unreachable_retry_s=s.alert_store_retry_s,
            unreachable_backoff_max_s=s.alert_store_backoff_max_s,
        )
        self.rules_store = RulesStore(self.redis, key_prefix=s.redis_key_prefix)
        self.silence_store = SilenceStore(self.redis, key_prefix=s.redis_key_prefix)
        # Webhook loops run on the leader only (started by its timer) and stop if it loses that role.
        self.webhooks = WebhookDispatcher(
            self.store.stream,
            backoff_s=s.webhook_backoff_s,
            backoff_cap_s=s.webhook_backoff_cap_s,
            language=s.webhook_language,
            keep_going=self.is_leader,
        )
        start_timer(self, s.rules_reload_s, self._sync_published_rules, exec_first=True)
        start_timer(self, s.rules_reload_s, self._sync_silences, exec_first=True)
        self.ready.set()

    async def on_stop(self) -> None:
        await self.webhooks.close()
        await self.redis.aclose()
        self._clickhouse_thread.shutdown(wait=False, cancel_futures=True)

    async def clickhouse(self, work: Callable[[ClickHouseExecutor], T]) -> T:
        """Run ``work(executor)`` on the alert agents' ClickHouse thread."""

        def call() -> T:
            if self._clickhouse is None:
                self._clickhouse = DriverExecutor.from_url(self.settings.clickhouse_url)
            return work(self._clickhouse)

        return await asyncio.get_running_loop().run_in_executor(self._clickhouse_thread, call)

    async def _sync_published_rules(self) -> None:
        if not self.context.ready.is_set():  # the rules file is loaded when the worker context starts
            return
        try:
            self.context.rules.apply_published(await self.rules_store.get())
        except Exception as exc:  # Redis away: the rules in force stay; the next tick tries again
            self._rules_outage.failed(exc)
            return
        self._rules_outage.recovered()

    async def _sync_silences(self) -> None:
        if not self.ready.is_set():
            return
        try:
            silences = await self.silence_store.all()
        except Exception as exc:  # Redis away: the silences in force stay; the next tick tries again
            self._silences_outage.failed(exc)
            return
        self._silences_outage.recovered()
        self.store.silences = [s for s in silences if s.state(time.time()) != "expired"]
