"""A worker's ``/metrics`` (Prometheus text format) on its own port, behind the API's tokens.

Each worker process serves its own registry (:mod:`streams.worker_metrics`) on
``HOTLINE_WORKER_METRICS_HOST:HOTLINE_WORKER_METRICS_PORT``; Prometheus scrapes every worker like
the API, with a bearer token: the admin token (``HOTLINE_API_TOKEN``) or a stored token of a role
that may read metrics (``monitor``, ``admin``). A port already in use is logged and skipped: the
worker's job is the stream, not its metrics.
"""

from __future__ import annotations

import hmac
import logging
import time

from aiohttp import web
from mode import Service
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hotline.settings import Settings, get_settings
from storage.api_tokens import ApiTokenStore
from streams.app import app
from streams.worker_context import context
from streams.worker_metrics import REGISTRY, AgentEventSensor, ConsumerLagCollector

__all__ = ["METRICS_ROLES", "WorkerMetricsServer", "metrics_server"]

log = logging.getLogger(__name__)

#: Stored-token roles that may scrape (the API's ``metrics.read``).
METRICS_ROLES = frozenset({"monitor", "admin"})
#: How long a stored token's answer is reused (a revoked token stops working within this).
TOKEN_CACHE_S = 10.0
#: Cached token answers kept at most.
TOKEN_CACHE_MAX = 1000


class WorkerMetricsServer(Service):
    """Serves ``GET /metrics`` of this worker while it runs."""

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        self.settings = settings
        self._runner: web.AppRunner | None = None
        self._roles: dict[str, tuple[float, str | None]] = {}
        self.port: int | None = None
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        s = self.settings
        app.sensors.add(AgentEventSensor())
        REGISTRY.register(ConsumerLagCollector(app))
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
        role = await self._role(token)
        if role is None:
            raise web.HTTPUnauthorized(text="invalid API token", headers={"WWW-Authenticate": "Bearer"})
        if role not in METRICS_ROLES:
            raise web.HTTPForbidden(text=f"role {role} may not read metrics (monitor or admin may)")
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _role(self, token: str) -> str | None:
        """The token's role, or None for an unknown token (stored tokens' answers cached briefly)."""
        admin = self.settings.api_token
        if admin is not None and hmac.compare_digest(token.encode(), admin.get_secret_value().encode()):
            return "admin"
        now = time.monotonic()
        cached = self._roles.get(token)
        if cached is not None and now - cached[0] < TOKEN_CACHE_S:
            return cached[1]
        if not context.ready.is_set():
            return None
        stored = await ApiTokenStore(context.redis, key_prefix=self.settings.redis_key_prefix).lookup(token)
        role = stored.role if stored is not None else None
        if len(self._roles) >= TOKEN_CACHE_MAX:  # bounded: a flood of wrong tokens cannot grow it
            self._roles.clear()
        self._roles[token] = (now, role)
        return role


metrics_server = app.service(WorkerMetricsServer(get_settings()))
