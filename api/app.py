"""The FastAPI app factory: clients are built in the lifespan, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from access.token_resolver import TokenResolver
from api.api_metrics import install_api_metrics
from api.body_limit import BodySizeLimit
from api.clickhouse_pool import clickhouse_pool
from api.errors import install_error_handlers
from api.event_producer import EventProducer
from api.query_log_filter import install_query_log_filter
from api.request_ids import install_request_ids
from api.routes import (
    alerts,
    api_docs,
    audit,
    calls,
    calls_live_feed,
    calls_ws,
    complaints,
    dashboard,
    exports,
    health,
    labels,
    models,
    review,
    rules,
    session,
    silences,
    stats,
    ticket_events,
)
from config.settings import Settings, get_settings
from privacy import PiiRedactor
from storage.api_tokens import ApiTokenStore
from storage.rate_limits import IngestRateLimiter

__all__ = ["create_app"]

log = logging.getLogger(__name__)

#: Longest wait for a connection to Redis (the default is none: a partition would hang requests).
REDIS_CONNECT_TIMEOUT_S = 3.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    if settings.api_token is None:
        raise RuntimeError("HOTLINE_API_TOKEN is not set: refusing to serve an API without a token")
    try:
        redactor = PiiRedactor(settings.pii_key())
    except ValueError as exc:
        raise RuntimeError(f"HOTLINE_PII_HASH_KEY: {exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.redactor = redactor
        # A bounded connect: an unreachable Redis fails a request (503) instead of hanging it.
        app.state.redis = aioredis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S
        )
        app.state.tokens = TokenResolver(
            ApiTokenStore(app.state.redis, key_prefix=settings.redis_key_prefix),
            admin_token=settings.api_token,
        )
        app.state.rate_limiter = IngestRateLimiter(
            app.state.redis, key_prefix=settings.redis_key_prefix, per_s=settings.ingest_rate_limit_per_s
        )
        # ClickHouse connects on first use: a server that is down at start only makes its routes 503.
        app.state.clickhouse = clickhouse_pool(settings)
        app.state.producer = EventProducer(settings)
        await app.state.producer.start()
        log.info("API ready at %s", settings.api_url)
        try:
            yield
        finally:
            await app.state.producer.stop()
            app.state.clickhouse.close()
            await app.state.redis.aclose()

    app = FastAPI(
        title="Hotline Monitor",
        version="0.1.0",
        description="Real-time monitoring of a bank's complaint hotline.",
        lifespan=lifespan,
        docs_url=None,  # served from this server by api.routes.api_docs (no CDN)
        redoc_url=None,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={"/api/v1/calls": settings.asr_max_upload_bytes},  # recorded calls
    )
    if settings.cors_origins:  # closed unless origins are configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )
    install_error_handlers(app)
    app.state.api_metrics = install_api_metrics(app)
    install_request_ids(app)  # outermost: every response, even a 413, carries the id
    install_query_log_filter()  # query strings carry the token and caller references
    for module in (
        health,
        session,
        complaints,
        ticket_events,
        labels,
        review,
        models,
        alerts,
        silences,
        rules,
        stats,
        exports,
        audit,
        calls,
        calls_live_feed,
        calls_ws,
        dashboard,
        api_docs,
    ):
        app.include_router(module.router)
    return app
