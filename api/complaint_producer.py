"""Produce ingested complaints to Kafka, and say clearly when the broker cannot take them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from api.sticky_partitioner import StickyPartitioner
from config.settings import Settings
from events.complaint_records import encode_complaint_records
from events.records import ComplaintEvent
from events.topic_names import COMPLAINTS_IN

__all__ = ["BrokerUnavailable", "ComplaintProducer"]

log = logging.getLogger(__name__)

BATCH_BYTES = 256 * 1024


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time: nothing was accepted."""


class ComplaintProducer:
    """Sends complaints to ``complaints.in`` and waits for the broker's ack.

    A request's complaints go as batch records (:mod:`events.complaint_records`), one complaint
    as a plain record keyed by its id. Placement is sticky per linger interval
    (:mod:`api.sticky_partitioner`), not by key hash.
    """

    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topic(COMPLAINTS_IN)
        self.timeout_s = settings.produce_timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            linger_ms=settings.ingest_linger_ms,
            acks=1 if settings.broker_kind == "tansu" else "all",
            request_timeout_ms=int(settings.produce_timeout_s * 1000),
            # Batches are safe here even on Tansu: its ListOffsets bug only hurts table changelogs
            # (see streams.app), and nothing recovers a table from this topic.
            max_batch_size=BATCH_BYTES,
            partitioner=StickyPartitioner(hold_s=max(settings.ingest_linger_ms, 1) / 1000),
        )
        self._started = False

    async def start(self) -> None:
        """Connect; an unreachable broker is logged, not fatal: ingest answers 503 until it is back."""
        try:
            await asyncio.wait_for(self._producer.start(), self.timeout_s)
            self._started = True
        except (KafkaError, OSError, TimeoutError) as exc:
            log.error("broker unreachable at start (%s); ingest will answer 503 until it is back", exc)

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()

    async def send(self, events: Sequence[ComplaintEvent]) -> None:
        """Send all ``events`` and wait until the broker acknowledged each, or raise BrokerUnavailable."""
        if not self._started:
            await self.start()
            if not self._started:
                raise BrokerUnavailable("the message broker is unreachable; nothing was accepted")
        try:
            futures = [
                await self._producer.send(self.topic, key=key, value=value)
                for key, value in encode_complaint_records(events)
            ]
            await asyncio.wait_for(asyncio.gather(*futures), self.timeout_s)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.error("broker did not acknowledge %d complaint(s): %s", len(events), exc)
            raise BrokerUnavailable(
                "the message broker did not acknowledge in time; the request was not accepted, retry it"
            ) from exc
