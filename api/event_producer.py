"""The API's one way to Kafka: every route produces through :class:`EventProducer` (``ProducerDep``).

Each send waits for the broker's ack (``acks=all``; 1 on Tansu, which has no replicas) within
``HOTLINE_PRODUCE_TIMEOUT_S``; a broker that is down or slow raises :class:`BrokerUnavailable`,
which routes answer with 503 and ``Retry-After`` (:func:`broker_unavailable`): nothing was accepted.
An API whose broker is down at start still starts and connects on the next send.

Two aiokafka clients under one lifecycle, because their records want opposite things:

- ``batched`` (complaints): lingers ``HOTLINE_INGEST_LINGER_MS`` so concurrent requests share
  produce batches, and places them by time, not key (:mod:`api.sticky_partitioner`);
- ``prompt`` (call audio, labels, ticket events): lingers 1 ms, since live audio is latency-bound
  and each frame is acknowledged before the next is read; keyed records go by key hash, so a
  call's frames and a complaint's events stay in order on one partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import HTTPException, status

from api.sticky_partitioner import StickyPartitioner
from config.settings import Settings
from events.topic_names import COMPLAINTS_IN

__all__ = ["BrokerUnavailable", "EventProducer", "broker_unavailable"]

log = logging.getLogger(__name__)

#: Largest complaint batch: batches are safe even on Tansu (its ListOffsets bug only hurts table
#: changelogs, see streams.app), and nothing recovers a table from ``complaints.in``.
BATCH_BYTES = 256 * 1024
#: A prompt record waits at most this long for others to share its produce request.
PROMPT_LINGER_MS = 1
#: Largest produce request: an upload's 1 s frames at 16 kHz are ~43 KB as base64 JSON.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
#: Topics whose records are placed by time rather than key (their consumers dedup by id).
STICKY_TOPICS = frozenset({COMPLAINTS_IN})
#: Records acknowledged per produce timeout when a send carries many (a recorded call).
RECORDS_PER_TIMEOUT = 100

Record = tuple[bytes | None, bytes]


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time: nothing was accepted."""


def broker_unavailable(exc: BrokerUnavailable, what: str = "the request") -> HTTPException:
    """The 503 a route answers when the broker did not take ``what``."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"{exc}; {what} was not accepted, retry it",
        headers={"Retry-After": "5"},
    )


class EventProducer:
    """``send(topic_name, value, key)`` and ``send_many(topic_name, records)``, each awaited until
    the broker acknowledged every record, or :class:`BrokerUnavailable`.

    ``topic_name`` is one of :mod:`events.topic_names`; the settings add the deployment's prefix.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout_s = settings.produce_timeout_s
        common = {
            "bootstrap_servers": settings.kafka_bootstrap,
            "acks": 1 if settings.broker_kind == "tansu" else "all",
            "request_timeout_ms": int(settings.produce_timeout_s * 1000),
        }
        self._batched = AIOKafkaProducer(
            linger_ms=settings.ingest_linger_ms,
            max_batch_size=BATCH_BYTES,
            partitioner=StickyPartitioner(hold_s=max(settings.ingest_linger_ms, 1) / 1000),
            **common,
        )
        self._prompt = AIOKafkaProducer(
            linger_ms=PROMPT_LINGER_MS, max_request_size=MAX_REQUEST_BYTES, **common
        )
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect; an unreachable broker is logged, not fatal: sends answer 503 until it is back."""
        async with self._lock:
            if self._started:
                return
            try:
                await asyncio.wait_for(
                    asyncio.gather(self._batched.start(), self._prompt.start()), self.timeout_s
                )
                self._started = True
            except (KafkaError, OSError, TimeoutError) as exc:
                log.error("broker unreachable (%s); produce requests answer 503 until it is back", exc)

    async def stop(self) -> None:
        if self._started:
            await asyncio.gather(self._batched.stop(), self._prompt.stop())

    async def send(self, topic_name: str, value: bytes, key: bytes | None = None) -> None:
        """Send one record and wait for the broker's ack."""
        await self.send_many(topic_name, [(key, value)])

    async def send_many(self, topic_name: str, records: Iterable[Record]) -> None:
        """Send ``(key, value)`` records in order and wait until the broker acknowledged all of them."""
        if not self._started:
            await self.start()
            if not self._started:
                raise BrokerUnavailable("the message broker is unreachable")
        topic = self.settings.topic(topic_name)
        batch: Sequence[Record] = list(records)
        try:
            client = self._batched if topic_name in STICKY_TOPICS else self._prompt
            futures = [await client.send(topic, key=k, value=v) for k, v in batch]
            timeout = self.timeout_s * max(1, len(batch) // RECORDS_PER_TIMEOUT)
            await asyncio.wait_for(asyncio.gather(*futures), timeout)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.error("broker did not acknowledge %d record(s) for %s: %s", len(batch), topic, exc)
            raise BrokerUnavailable("the message broker did not acknowledge in time") from exc
