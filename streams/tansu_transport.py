"""Faust transport for the local Tansu broker (URL scheme ``tansu://``).

Faust fixes the consumer's fetch wait at 1.5 s. A Kafka broker answers a fetch as soon as data
arrives, so the wait costs nothing there; Tansu holds every fetch for the whole wait, which added
about 1.5 s to every complaint's path. This transport shortens the wait, and re-fetches what Faust
fetched and dropped around a restart (below). Registered under the ``faust.transports`` entry
point in pyproject.toml.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from faust.exceptions import ConsumerNotStarted
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message
from mode import Service

__all__ = ["FETCH_MAX_WAIT_MS", "Transport"]

#: How long Tansu may hold a fetch: the most latency an idle consumer adds. Every fetch costs the
#: broker a lookup per partition of the request (~90 per worker with 8 partitions): at 50 ms the
#: idle stack's fetching took 30% of a core and `bench pipeline` ran at ~2,200/s, at 200 ms 18%
#: and ~2,600/s, with cold alerts at p99 0.24-0.29 s at 500/s (docs/benchmarks.md, issue 12).
FETCH_MAX_WAIT_MS = 200
#: How often the consumer checks that no fetched record was dropped unread (two checks to act).
DROPPED_FETCH_CHECK_S = 5.0


log = logging.getLogger(__name__)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts its fetcher
        return consumer

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek to the committed offsets, and put partitions the group never committed back at the
        reset position. Faust fetches before it seeks after a rebalance and drops what it fetched
        while its flow was suspended; aiokafka's seek leaves a partition without a committed offset
        where that fetch moved it (the end), so a worker restarted before its group's first commit
        skipped every complaint already on the topic (found by the kill -9 test)."""
        return await self.call_thread(self._seek_to_committed_or_reset)

    async def _seek_to_committed_or_reset(self) -> Mapping[TP, int]:
        consumer = self._ensure_consumer()
        committed = await consumer.seek_to_committed()
        never = [
            tp for tp, offset in committed.items() if not offset and not self.consumer._is_changelog_tp(tp)
        ]
        if never:
            reset = self.app.conf.consumer_auto_offset_reset
            log.info("no committed offset for %d partition(s): reset to %s", len(never), reset)
            if reset == "latest":
                await consumer.seek_to_end(*never)
            else:
                await consumer.seek_to_beginning(*never)
        return committed


class Consumer(faust_aiokafka.Consumer):
    """Faust's consumer, plus a check that nothing it fetched was silently dropped.

    Faust drops the rest of a fetched batch when its flow is suspended or the generation changes
    while it iterates (``Consumer.getmany``) and relies on a later seek to fetch it again; right
    after a worker (re)joins, that seek can come first, and the partition's position then stays
    ahead of what Faust read: those complaints would wait for the next restart. Seen in 3 of 5
    kill -9 runs on a loaded machine with 8 partitions. When a partition's position stays ahead of
    Faust's read offset with nothing buffered, for two checks in a row, it is sought back (the
    agents dedup, so a record read twice is harmless).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dropped_suspects: dict[TP, tuple[int, int]] = {}
        #: Whether Faust is between records of a fetched batch (a slow agent, not a drop).
        self._holding_batch = False

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        try:
            async for item in super().getmany(timeout):
                self._holding_batch = True
                yield item
        finally:
            self._holding_batch = False

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    @Service.timer(DROPPED_FETCH_CHECK_S)
    async def _refetch_dropped(self) -> None:
        if not self.flow_active or self.app.rebalancing or self._holding_batch:
            self._dropped_suspects.clear()
            return
        gaps = self._position_gaps()
        for tp, (wanted, position) in list(gaps.items()):
            if self._dropped_suspects.get(tp) == (wanted, position):
                log.warning(
                    "%s[%d]: fetched up to %d but read only to %d; fetching again from %d",
                    tp.topic,
                    tp.partition,
                    position,
                    wanted - 1,
                    wanted,
                )
                await self.seek(tp, wanted)
                del gaps[tp]
        self._dropped_suspects = gaps

    def _position_gaps(self) -> dict[TP, tuple[int, int]]:
        """(next offset Faust wants, broker position) of each active partition that is ahead."""
        try:
            consumer = self._thread._ensure_consumer()
        except ConsumerNotStarted:
            return {}
        subscription = consumer._subscription.subscription
        if subscription is None or subscription.assignment is None:
            return {}
        assignment, buffered = subscription.assignment, consumer._fetcher._records
        gaps = {}
        for tp in list(self._get_active_partitions()):
            if self._is_changelog_tp(tp) or tp in buffered or tp not in assignment.tps:
                continue
            state = assignment.state_value(tp)
            if not state.has_valid_position:
                continue
            read = self._read_offset.get(tp)
            wanted = read + 1 if read is not None else self._committed_offset.get(tp)
            if wanted is not None and state.position > wanted:
                gaps[tp] = (wanted, state.position)
        return gaps


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
