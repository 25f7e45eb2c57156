"""Where the API's producer places records, on the real broker (a topic prefix of its own, so the
running worker never sees them)."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from api.event_producer import EventProducer
from config.settings import Settings
from events.topic_names import CALLS_AUDIO, COMPLAINTS_IN
from tests.conftest import Stack
from tests.topic_records import read_topics

pytestmark = pytest.mark.services


async def _partitions_by_value(settings: Settings, topic_name: str) -> dict[bytes, int]:
    return {r.value or b"": r.partition for r in await read_topics(settings, topic_name)}


async def test_complaints_go_together_by_time_and_a_calls_frames_by_key(stack: Stack) -> None:
    settings = stack.settings.model_copy(update={"topic_prefix": f"placement-{secrets.token_hex(4)}"})
    producer = EventProducer(settings)
    await producer.start()
    try:
        first = [(f"a{i}".encode(), f"first-{i}".encode()) for i in range(8)]
        await producer.send_many(COMPLAINTS_IN, first)
        await asyncio.sleep(3 * max(settings.ingest_linger_ms, 1) / 1000)
        later = [(f"b{i}".encode(), f"later-{i}".encode()) for i in range(8)]
        await producer.send_many(COMPLAINTS_IN, later)
        for call in ("call-1", "call-2", "call-3"):
            await producer.send_many(CALLS_AUDIO, [(call.encode(), f"{call}/{i}".encode()) for i in range(4)])
        complaints = await _partitions_by_value(settings, COMPLAINTS_IN)
        frames = await _partitions_by_value(settings, CALLS_AUDIO)
    finally:
        await producer.stop()

    first_parts = {complaints[v] for _, v in first}
    later_parts = {complaints[v] for _, v in later}
    assert len(first_parts) == 1 and len(later_parts) == 1, "one request's complaints share a partition"
    assert first_parts != later_parts, "the next moment's complaints move on to the next partition"
    for call in ("call-1", "call-2", "call-3"):
        assert len({p for v, p in frames.items() if v.startswith(call.encode())}) == 1, call
