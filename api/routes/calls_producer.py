"""Produce call audio to Kafka, keyed by call id, each record acknowledged before the next.

Waiting for the broker's ack per frame keeps a call's frames in order and pushes back on a
connector that sends faster than the broker takes them (its websocket is simply not read).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from api.complaint_producer import BrokerUnavailable
from config.settings import Settings
from events.call_records import CallAudio
from events.topic_names import CALLS_AUDIO, CALLS_RECORDED

__all__ = ["CallAudioProducer"]

log = logging.getLogger(__name__)

#: A frame waits at most this long for others to share its produce request: live audio is
#: latency-bound, and each call sends only five frames a second.
LINGER_MS = 1
#: Largest produce request: an upload's 1 s frames at 16 kHz are ~43 KB as base64 JSON.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class CallAudioProducer:
    """Sends :class:`CallAudio` to ``calls.audio`` (live) or ``calls.recorded`` (uploads)."""

    def __init__(self, settings: Settings) -> None:
        self.live_topic = settings.topic(CALLS_AUDIO)
        self.recorded_topic = settings.topic(CALLS_RECORDED)
        self.timeout_s = settings.produce_timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            linger_ms=LINGER_MS,
            acks=1 if settings.broker_kind == "tansu" else "all",
            request_timeout_ms=int(settings.produce_timeout_s * 1000),
            max_request_size=MAX_REQUEST_BYTES,
        )
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect; an unreachable broker is logged, not fatal (calls are refused until it is back)."""
        async with self._lock:
            if self._started:
                return
            try:
                await asyncio.wait_for(self._producer.start(), self.timeout_s)
                self._started = True
            except (KafkaError, OSError, TimeoutError) as exc:
                log.error("broker unreachable (%s); calls are refused until it is back", exc)

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()

    async def send_live(self, record: CallAudio) -> None:
        """Send one live frame and wait for the broker's ack (BrokerUnavailable otherwise)."""
        await self._send(self.live_topic, [record])

    async def send_recorded(self, records: Sequence[CallAudio]) -> None:
        """Send a whole recording, in order, and wait until the broker acknowledged all of it."""
        await self._send(self.recorded_topic, records)

    async def _send(self, topic: str, records: Sequence[CallAudio]) -> None:
        if not self._started:
            await self.start()
            if not self._started:
                raise BrokerUnavailable("the message broker is unreachable")
        try:
            futures = [
                await self._producer.send(topic, key=r.call_id.encode(), value=r.model_dump_json().encode())
                for r in records
            ]
            await asyncio.wait_for(asyncio.gather(*futures), self.timeout_s * max(1, len(records) // 100))
        except (KafkaError, OSError, TimeoutError) as exc:
            log.error("broker did not acknowledge %d call record(s): %s", len(records), exc)
            raise BrokerUnavailable("the message broker did not acknowledge in time") from exc
