"""The API's own numbers on ``/metrics``: requests and latency per route, every status code apart
(429s and 5xxs show as themselves), and the websocket clients connected now.

Each app gets a registry of its own (tests build several apps in one process); ``/metrics`` prints
it after the model's numbers.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Gauge
from prometheus_fastapi_instrumentator import Instrumentator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ApiMetrics", "install_api_metrics"]

#: Prometheus names start ``hotline_api_`` (e.g. ``hotline_api_http_requests_total``).
NAMESPACE = "hotline"
SUBSYSTEM = "api"


class ApiMetrics:
    """The registry ``/metrics`` prints, and the websocket-clients gauge."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.websocket_clients = Gauge(
            "websocket_clients",
            "Websocket clients connected now, by route.",
            ["route"],
            namespace=NAMESPACE,
            subsystem=SUBSYSTEM,
            registry=self.registry,
        )


class _WebsocketClients:
    """ASGI middleware: counts a websocket from its accept to its close."""

    def __init__(self, app: ASGIApp, *, gauge: Gauge) -> None:
        self.app = app
        self.gauge = gauge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        # /ws/calls/<id> -> /ws/calls: one series per route, not per call.
        route = "/".join(scope["path"].split("/")[:3])
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                self.gauge.labels(route).inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                self.gauge.labels(route).dec()


def install_api_metrics(app: FastAPI) -> ApiMetrics:
    metrics = ApiMetrics()
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics", "/healthz"],
        registry=metrics.registry,
    ).instrument(app, metric_namespace=NAMESPACE, metric_subsystem=SUBSYSTEM)
    app.add_middleware(_WebsocketClients, gauge=metrics.websocket_clients)
    return metrics
