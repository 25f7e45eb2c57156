"""Faust transport for the local Tansu broker (URL scheme ``tansu://``).

Faust fixes the consumer's fetch wait at 1.5 s. A Kafka broker answers a fetch as soon as data
arrives, so the wait costs nothing there; Tansu holds every fetch for the whole wait, which added
about 1.5 s to every complaint's path. This transport shortens the wait and changes nothing else.
Registered under the ``faust.transports`` entry point in pyproject.toml.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["FETCH_MAX_WAIT_MS", "Transport"]

#: How long Tansu may hold a fetch: the most latency an idle consumer adds.
FETCH_MAX_WAIT_MS = 50


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts its fetcher
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
