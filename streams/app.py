"""How the Faust app is made for some settings; :func:`streams.worker.build_worker` makes it and adds
the topics, tables, services and agents."""

from __future__ import annotations

from typing import Any

import faust

from config.settings import Settings

__all__ = ["app_id", "create_app"]

# Tansu (the local broker) answers ListOffsets(latest) wrongly for multi-record batches, which makes
# table recovery lose records; it also has no idempotent producer. Its group coordinator is slow with
# Faust's defaults (a join waits ~30 s), so the timeouts are shortened too. The ``tansu://`` transport
# (streams.tansu_transport) shortens the consumer's fetch wait.
TANSU_OVERRIDES: dict[str, Any] = {
    "producer_max_batch_size": 1,
    "broker_session_timeout": 6.0,
    "broker_heartbeat_interval": 1.0,
    "broker_rebalance_timeout": 10.0,
}


def app_id(settings: Settings) -> str:
    """The app id, which is also the consumer group: an alerts-only worker reads every complaint
    again in a group of its own, so its alerts never wait behind tagging."""
    return f"{settings.topic_prefix}-alerts" if settings.worker_agents == "alerts" else settings.topic_prefix


def create_app(settings: Settings) -> faust.App:
    """Build the Faust app for ``settings``; Tansu workarounds only when the broker is Tansu."""
    tansu = settings.broker_kind == "tansu"
    broker = (
        ",".join(f"tansu://{server}" for server in settings.kafka_bootstrap.split(","))
        if tansu
        else settings.kafka_url
    )
    return faust.App(
        app_id(settings),
        broker=broker,
        web_enabled=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        table_cleanup_interval=30.0,
        consumer_auto_offset_reset="earliest",
        datadir=str(settings.state_dir / "faust"),
        autodiscover=False,
        **(TANSU_OVERRIDES if tansu else {}),
    )
