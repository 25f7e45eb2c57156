"""The local default stack (broker, Redis, ClickHouse) as one unit for ``hotline services``."""

from __future__ import annotations

from config.settings import Settings
from hotline.local_services import clickhouse, redis_server, tansu
from hotline.local_services.base import ServiceError, ServiceStatus

__all__ = ["start_services", "status_services", "stop_services"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def start_services(settings: Settings) -> list[str]:
    """Start what is missing; the broker only when it may be Tansu (a real Kafka is the operator's):
    ``auto`` starts Tansu on a loopback address unless something answers there already."""
    state = settings.state_dir
    messages = []
    host, port = settings.kafka_host_port
    if settings.broker_kind == "tansu" or (settings.broker_kind == "auto" and host in LOOPBACK):
        messages.append(tansu.start(state, host, port))
    messages.append(redis_server.start(state, settings.redis_url))
    host, port = settings.clickhouse_host_port
    if host not in LOOPBACK:
        raise ServiceError(
            f"HOTLINE_CLICKHOUSE_URL points at {host}: a remote ClickHouse is not started here"
        )
    messages.append(clickhouse.start(state, port, settings.clickhouse_http_port))
    return messages


def stop_services(settings: Settings) -> list[str]:
    """Stop what we started (a reused Redis is left alone)."""
    state = settings.state_dir
    return [clickhouse.stop(state), redis_server.stop(state), tansu.stop(state)]


def status_services(settings: Settings) -> list[ServiceStatus]:
    state = settings.state_dir
    k_host, k_port = settings.kafka_host_port
    _, c_port = settings.clickhouse_host_port
    return [
        tansu.status(state, k_host, k_port),
        redis_server.status(state, settings.redis_url),
        clickhouse.status(state, c_port),
    ]
