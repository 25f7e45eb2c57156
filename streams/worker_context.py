"""Clients and sources one worker shares between its agents, opened at start and closed at stop."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from mode import Service

from hotline.settings import Settings, get_settings
from storage.alert_stream import AlertStream
from storage.clickhouse import ComplaintSink, DriverExecutor, apply_migrations
from storage.model_registry import ModelRegistry
from streams.acked_sink import AckedSink
from streams.app import app
from streams.rules_source import RulesSource
from streams.tagger_source import TaggerSource

__all__ = ["WorkerContext", "context"]

log = logging.getLogger(__name__)

#: How often a worker asks the registry for a newer model.
MODEL_POLL_S = 1.0
#: Longest a stopping worker tries to write buffered rows (unwritten ones are redelivered anyway).
SHUTDOWN_FLUSH_S = 8.0


class WorkerContext(Service):
    """Redis, the model, the rules and the ClickHouse sink of one worker process."""

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        self.settings = settings
        self.ready = asyncio.Event()
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        s = self.settings
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
        await self.tagger.refresh()
        self.rules = RulesSource(s.rules_path)
        executor = DriverExecutor.from_url(s.clickhouse_url)
        applied = apply_migrations(executor)
        if applied:
            log.info("applied ClickHouse migrations: %s", ", ".join(applied))
        self.sink = AckedSink(
            ComplaintSink.from_url(
                s.clickhouse_url, batch_rows=s.sink_batch_rows, max_buffer_rows=s.sink_max_buffer_rows
            ),
            batch_rows=s.sink_batch_rows,
            flush_s=s.sink_flush_s,
        )
        self.ready.set()

    async def on_stop(self) -> None:
        await self.sink.drain(timeout_s=SHUTDOWN_FLUSH_S)
        await asyncio.to_thread(self.sink.sink.close, 1.0)
        await self.redis.aclose()

    @Service.timer(MODEL_POLL_S)
    async def _refresh_model(self) -> None:
        await self.tagger.refresh()

    @Service.timer(get_settings().rules_reload_s)
    async def _refresh_rules(self) -> None:
        self.rules.refresh()

    @Service.timer(get_settings().sink_flush_s)
    async def _flush_sink(self) -> None:
        self.sink.flush_soon()


context = app.service(WorkerContext(get_settings()))
