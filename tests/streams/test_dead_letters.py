"""Poison records go to the dead-letter topic with the reason; the agents keep going."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from storage.clickhouse import DriverExecutor, count_complaints
from tests.conftest import Pipeline

pytestmark = pytest.mark.services


async def _dead_letters(pipeline: Pipeline, marker: str, expected: int) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(
        pipeline.stack.settings.topic("deadletter"),
        bootstrap_servers=pipeline.stack.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[dict[str, object]] = []
    try:
        deadline = time.monotonic() + 20
        while len(found) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    letter = json.loads(record.value)
                    if marker in letter["payload"]:
                        found.append(letter)
    finally:
        await consumer.stop()
    return found


async def test_poison_records_are_dead_lettered_and_processing_continues(pipeline: Pipeline) -> None:
    settings = pipeline.stack.settings
    marker = f"poison-{secrets.token_hex(4)}"
    good_id = f"after-{marker}"
    poison = [
        (settings.topic("complaints.in"), b'{"event_id": "' + marker.encode() + b'", "text": '),  # bad JSON
        (
            settings.topic("complaints.in"),
            json.dumps({"event_id": marker, "text": "x", "channel": "fax", "received_at": 1.0}).encode(),
        ),
        (settings.topic("complaints.in"), json.dumps({"event_id": marker, "note": "no text"}).encode()),
        (settings.topic("complaints.in"), b"\xff\xfe" + marker.encode()),  # not UTF-8
        (settings.topic("window.increments"), json.dumps({"rule_id": marker, "count": -1}).encode()),
    ]
    good = {"event_id": good_id, "text": "I lost my card", "channel": "web", "received_at": time.time()}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, max_batch_size=1)
    await producer.start()
    try:
        for topic, value in poison:
            await producer.send_and_wait(topic, value, key=marker.encode())
        await producer.send_and_wait(settings.topic("complaints.in"), json.dumps(good).encode(), key=b"g")
    finally:
        await producer.stop()

    letters = await _dead_letters(pipeline, marker, len(poison))
    assert len(letters) == len(poison)
    reasons = " | ".join(str(letter["reason"]) for letter in letters)
    assert "json_invalid" in reasons
    assert "channel" in reasons
    assert "text" in reasons
    assert {letter["source_topic"] for letter in letters} == {topic for topic, _ in poison}

    executor = DriverExecutor.from_url(settings.clickhouse_url)
    deadline = time.monotonic() + 15
    while count_complaints(executor, [good_id]) != 1:
        assert time.monotonic() < deadline, "the complaint after the poison records was never stored"
        await asyncio.sleep(0.2)
    assert count_complaints(executor, [marker]) == 0
    log = pipeline.log("worker")
    assert sum(1 for line in log.splitlines() if "dead-lettered" in line and "complaints.in" in line) >= 4
