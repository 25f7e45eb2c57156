"""Which broker ``HOTLINE_KAFKA_URL`` names, so Tansu's workarounds are on for Tansu only.

With ``HOTLINE_BROKER_KIND=auto`` (the default) the worker and the API ask the broker which APIs it
serves before they start: every Apache Kafka since 0.11 (and Redpanda) serves OffsetForLeaderEpoch,
Tansu does not. A bank's Kafka gets Kafka's defaults (``acks=all``, Faust's own transport) without
anyone having to say so, and the local stack gets the Tansu transport.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.admin import ApiVersionRequest
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from config.settings import Settings

__all__ = ["API_PROBE_TIMEOUT_S", "BrokerUnreachable", "probe_broker_kind", "with_broker_kind"]

log = logging.getLogger(__name__)

#: The Kafka API (key 23) that tells a Kafka from Tansu.
OFFSET_FOR_LEADER_EPOCH = 23
#: How long a starting worker waits for the broker to answer (compose starts them together).
PROBE_TIMEOUT_S = 60.0
#: The API waits less: it serves (503 for ingest, /readyz naming the broker) while the broker is down.
API_PROBE_TIMEOUT_S = 5.0


class BrokerUnreachable(RuntimeError):
    """The broker did not answer: say where, and how to skip the question."""


async def probe_broker_kind(
    bootstrap: str, *, timeout_s: float = PROBE_TIMEOUT_S
) -> Literal["tansu", "kafka"]:
    """``tansu`` or ``kafka`` for the broker at ``bootstrap`` (``host:port,...``), once it answers."""
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(timeout_s),
            wait=wait_exponential(min=0.5, max=5),
            retry=retry_if_exception_type((KafkaError, OSError)),
            reraise=True,
        ):
            with attempt:
                client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
                try:
                    await client.bootstrap()
                    response = await client.send(client.get_random_node(), ApiVersionRequest())
                finally:
                    await client.close()
    except (KafkaError, OSError) as exc:
        raise BrokerUnreachable(
            f"no broker answered at {bootstrap} within {timeout_s:.0f} s ({exc!r}); start it, or set"
            " HOTLINE_BROKER_KIND=kafka|tansu to start without asking it"
        ) from exc
    served = {key for key, _, _ in response.api_versions}
    return "kafka" if OFFSET_FOR_LEADER_EPOCH in served else "tansu"


def with_broker_kind(
    settings: Settings, *, timeout_s: float = PROBE_TIMEOUT_S, unreachable: Literal["kafka"] | None = None
) -> Settings:
    """``settings`` with ``broker_kind`` ``tansu`` or ``kafka``: asked of the broker when ``auto``.

    A broker that does not answer within ``timeout_s`` raises :class:`BrokerUnreachable`, unless
    ``unreachable`` names the kind to assume (the API starts without its broker and answers 503
    until it is back; Kafka's settings are the safe ones).
    """
    if settings.broker_kind != "auto":
        return settings
    try:
        kind = asyncio.run(probe_broker_kind(settings.kafka_bootstrap, timeout_s=timeout_s))
    except BrokerUnreachable as exc:
        if unreachable is None:
            raise
        log.warning("%s; going on with the settings for %s", exc, unreachable)
        kind = unreachable
    else:
        log.info(
            "the broker at %s is %s", settings.kafka_bootstrap, "Tansu" if kind == "tansu" else "a Kafka"
        )
    return settings.model_copy(update={"broker_kind": kind})
