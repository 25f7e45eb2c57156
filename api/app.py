"""The FastAPI app factory: clients are built in the lifespan, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI

from api.body_limit import BodySizeLimit
from api.complaint_producer import ComplaintProducer
from api.errors import install_error_handlers
from api.routes import alerts, complaints, dashboard, health
from hotline.settings import Settings, get_settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    if settings.api_token is None:
        raise RuntimeError("HOTLINE_API_TOKEN is not set: refusing to serve an API without a token")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.redis = aioredis.Redis.from_url(settings.redis_url)
        app.state.producer = ComplaintProducer(settings)
        await app.state.producer.start()
        log.info("API ready at %s", settings.api_url)
        try:
            yield
        finally:
            await app.state.producer.stop()
            await app.state.redis.aclose()

    app = FastAPI(
        title="Hotline Monitor",
        version="0.1.0",
        description="Real-time monitoring of a bank's complaint hotline.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    for module in (health, complaints, alerts, dashboard):
        app.include_router(module.router)
    return app
