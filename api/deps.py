"""Dependencies as ``Annotated`` aliases, so route signatures read plainly.

Every client is built once in the app's lifespan (:mod:`api.app`) and handed to routes from here:
the broker (``ProducerDep``), ClickHouse (``ClickHouseDep``), Redis (``RedisDep``).
"""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends
from starlette.requests import HTTPConnection

from api.event_producer import EventProducer
from config.settings import Settings
from privacy import PiiRedactor
from storage.call_live_state import LiveCallStore
from storage.clickhouse.analytics_pool import ExecutorPool
from storage.rate_limits import IngestRateLimiter

__all__ = [
    "ClickHouseDep",
    "LiveCallsDep",
    "ProducerDep",
    "RateLimiterDep",
    "RedactorDep",
    "RedisDep",
    "SettingsDep",
]


def _settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings


def _producer(request: HTTPConnection) -> EventProducer:
    return request.app.state.producer


def _clickhouse(request: HTTPConnection) -> ExecutorPool:
    return request.app.state.clickhouse


def _redis(request: HTTPConnection) -> aioredis.Redis:
    return request.app.state.redis


def _redactor(request: HTTPConnection) -> PiiRedactor:
    return request.app.state.redactor


def _rate_limiter(request: HTTPConnection) -> IngestRateLimiter:
    return request.app.state.rate_limiter


SettingsDep = Annotated[Settings, Depends(_settings)]
#: Personal data out of every text before it is produced (``privacy``).
RedactorDep = Annotated[PiiRedactor, Depends(_redactor)]
ProducerDep = Annotated[EventProducer, Depends(_producer)]
#: The one ClickHouse pool; query it with :func:`api.clickhouse_pool.run_query`.
ClickHouseDep = Annotated[ExecutorPool, Depends(_clickhouse)]
RedisDep = Annotated[aioredis.Redis, Depends(_redis)]
RateLimiterDep = Annotated[IngestRateLimiter, Depends(_rate_limiter)]


def _live_calls(redis: RedisDep, settings: SettingsDep) -> LiveCallStore:
    return LiveCallStore(
        redis, key_prefix=settings.redis_key_prefix, ended_ttl_s=settings.asr_ended_call_ttl_s
    )


#: Live calls and their transcripts so far, in Redis.
LiveCallsDep = Annotated[LiveCallStore, Depends(_live_calls)]
