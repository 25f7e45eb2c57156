"""Clients and sources one worker shares between its agents, opened at start and closed at stop."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from mode import Service
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from config.settings import Settings
from storage.alert_stream import AlertStream
from storage.clickhouse import CONNECTION_ERRORS, ComplaintSink, DriverExecutor, apply_migrations
from storage.model_registry import ModelRegistry
from streams.acked_sink import AckedSink
from streams.rules_source import RulesSource
from streams.service_timers import start_timer
from streams.tagger_source import TaggerSource
from streams.task_dump import install_task_dump
from streams.worker_metrics import SINK_BUFFER_ROWS
from streams.worker_service import WorkerService

__all__ = ["WorkerContext"]

log = logging.getLogger(__name__)

#: How often a worker asks the registry for a newer model.
MODEL_POLL_S = 1.0
#: Longest a stopping worker tries to write buffered rows (unwritten ones are redelivered anyway).
SHUTDOWN_FLUSH_S = 8.0


class WorkerContext(WorkerService):
    """Redis, the model, the rules and the ClickHouse sink of one worker process."""

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        #: An alerts-only worker (``HOTLINE_WORKER_AGENTS=alerts``) neither tags nor migrates.
        self.tagging = settings.worker_agents != "alerts"
        super().__init__(settings, **kwargs)

    async def on_start(self) -> None:
        s = self.settings
        install_task_dump(asyncio.get_running_loop())
        if s.model_signing_key is None:
            raise RuntimeError("HOTLINE_MODEL_SIGNING_KEY is not set: the worker cannot verify models")
        self.redis = aioredis.Redis.from_url(s.redis_url)
        self.alerts = AlertStream(
            self.redis,
            key_prefix=s.redis_key_prefix,
            maxlen=s.alert_stream_maxlen,
            dedup_ttl_s=s.alert_dedup_ttl_s,
        )
        self.tagger = TaggerSource(
            ModelRegistry(self.redis, key_prefix=s.redis_key_prefix),
            signing_key=s.model_signing_key.get_secret_value().encode(),
        )
        self.rules = RulesSource(s.rules_path)
        if self.tagging:
            await self.tagger.refresh()
            await self._migrate_when_reachable()
        self.sink = AckedSink(
            ComplaintSink.from_url(s.clickhouse_url, **s.sink_options),
            batch_rows=s.sink_batch_rows,
            flush_s=s.sink_flush_s,
        )
        SINK_BUFFER_ROWS.set_function(lambda: self.sink.buffered)
        start_timer(self, s.rules_reload_s, self._refresh_rules)
        start_timer(self, s.sink_flush_s, self._flush_sink)
        self.ready.set()

    async def _migrate_when_reachable(self) -> None:
        """A worker (re)started while ClickHouse is down waits for it instead of crash-looping."""
        s = self.settings

        def log_wait(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "ClickHouse unreachable at start (attempt %d: %s); waiting for it", state.attempt_number, exc
            )

        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(CONNECTION_ERRORS),
            wait=wait_exponential(multiplier=s.sink_retry_initial_s, max=s.sink_retry_max_s),
            before_sleep=log_wait,
            reraise=True,
        ):
            with attempt:
                executor = DriverExecutor.from_url(s.clickhouse_url)
                try:
                    applied = await asyncio.to_thread(apply_migrations, executor)
                finally:
                    executor.close()
        if applied:
            log.info("applied ClickHouse migrations: %s", ", ".join(applied))

    async def on_stop(self) -> None:
        await self.sink.drain(timeout_s=SHUTDOWN_FLUSH_S)
        await asyncio.to_thread(self.sink.sink.close, 1.0)
        await self.redis.aclose()

    @Service.timer(MODEL_POLL_S)
    async def _refresh_model(self) -> None:
        if self.tagging:
            await self.tagger.refresh()

    async def _refresh_rules(self) -> None:
        self.rules.refresh()

    async def _flush_sink(self) -> None:
        self.sink.flush_soon()
