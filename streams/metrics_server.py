"""A worker's ``/metrics`` (Prometheus text format) on its own port, behind the API's tokens.

Each worker process serves its own registry (:mod:`streams.worker_metrics`) on
``HOTLINE_WORKER_METRICS_HOST:HOTLINE_WORKER_METRICS_PORT``; Prometheus scrapes every worker like
the API, with a bearer token: the admin token (``HOTLINE_API_TOKEN``) or a stored token of a role
that may read metrics (``monitor``, ``admin``). A port already in use is logged and skipped: the
worker's job is the stream, not its metrics.
"""

from __future__ import annotations

import logging

import faust
from aiohttp import web
from mode import Service
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from access.roles import permissions_of
from access.token_resolver import TokenResolver
from config.settings import Settings
from storage.api_tokens import ApiTokenStore
from streams.worker_context import WorkerContext
from streams.worker_metrics import REGISTRY, AgentEventSensor, ConsumerLagCollector

__all__ = ["WorkerMetricsServer"]

log = logging.getLogger(__name__)


class WorkerMetricsServer(Service):
    """Serves ``GET /metrics`` of this worker while it runs."""

    def __init__(
        self, settings: Settings, *, app: faust.App, context: WorkerContext, **kwargs: object
    ) -> None:
        self.settings = settings
        self.app = app
        self.context = context
        self._runner: web.AppRunner | None = None
        self._tokens: TokenResolver | None = None
        self.port: int | None = None
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        s = self.settings
        self.app.sensors.add(AgentEventSensor())
        REGISTRY.register(ConsumerLagCollector(self.app))
        if s.worker_metrics_port == 0:
            return
        web_app = web.Application()
        web_app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, s.worker_metrics_host, s.worker_metrics_port)
        try:
            await site.start()
        except OSError as exc:
            log.error(
                "worker metrics not served: %s:%d: %s", s.worker_metrics_host, s.worker_metrics_port, exc
            )
            return
        self.port = s.worker_metrics_port
        log.info("worker metrics at http://%s:%d/metrics", s.worker_metrics_host, self.port)

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise web.HTTPUnauthorized(
                text="missing API token: send `Authorization: Bearer <token>`",
                headers={"WWW-Authenticate": "Bearer"},
            )
        tokens = self._tokens_resolver()
        if tokens is None:
            raise web.HTTPServiceUnavailable(text="the worker is starting: no Redis connection yet")
        try:
            principal = await tokens.resolve(token)
        except RedisError as exc:  # a stored token this worker has not seen, while Redis is away
            raise web.HTTPServiceUnavailable(text=f"cannot check the token now (Redis: {exc})") from exc
        if principal is None:
            raise web.HTTPUnauthorized(text="invalid API token", headers={"WWW-Authenticate": "Bearer"})
        if "metrics.read" not in permissions_of(principal.role):
            raise web.HTTPForbidden(text=f"role {principal.role} may not read metrics (monitor or admin may)")
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _tokens_resolver(self) -> TokenResolver | None:
        """The API's resolver on the worker's Redis; None until the worker context has connected."""
        redis = getattr(self.context, "redis", None)
        if self._tokens is None and redis is not None:
            store = ApiTokenStore(redis, key_prefix=self.settings.redis_key_prefix)
            self._tokens = TokenResolver(store, admin_token=self.settings.api_token)
        return self._tokens
