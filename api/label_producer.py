"""Produce reviewers' labels to the one-partition ``labels`` topic, keyed by complaint id."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from api.complaint_producer import BrokerUnavailable
from config.settings import Settings
from events.label_records import LabelEvent
from events.topic_names import LABELS

__all__ = ["LabelProducer"]

log = logging.getLogger(__name__)


class LabelProducer:
    """Sends one :class:`LabelEvent` at a time and waits for the broker's ack (labels are few).

    Connects on first use, so an API whose broker is down still starts; each send then says
    ``BrokerUnavailable`` until the broker is back.
    """

    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topic(LABELS)
        self.timeout_s = settings.produce_timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks=1 if settings.broker_kind == "tansu" else "all",
            request_timeout_ms=int(settings.produce_timeout_s * 1000),
        )
        self._started = False
        self._lock = asyncio.Lock()

    async def _start(self) -> None:
        async with self._lock:
            if self._started:
                return
            try:
                await asyncio.wait_for(self._producer.start(), self.timeout_s)
                self._started = True
            except (KafkaError, OSError, TimeoutError) as exc:
                log.error("broker unreachable (%s); labels are refused until it is back", exc)
                raise BrokerUnavailable(
                    "the message broker is unreachable; the label was not accepted"
                ) from exc

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()

    async def send(self, label: LabelEvent) -> None:
        """Send ``label`` and wait for the ack, or raise BrokerUnavailable (nothing accepted)."""
        await self._start()
        try:
            await asyncio.wait_for(
                self._producer.send_and_wait(
                    self.topic, key=label.complaint_id.encode(), value=label.model_dump_json().encode()
                ),
                self.timeout_s,
            )
        except (KafkaError, OSError, TimeoutError) as exc:
            log.error("broker did not acknowledge a label: %s", exc)
            raise BrokerUnavailable(
                "the message broker did not acknowledge in time; the label was not accepted, retry it"
            ) from exc
