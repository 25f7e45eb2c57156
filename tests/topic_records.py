"""Every record on some topics as the broker holds them now, read by a consumer of no group."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from config.settings import Settings


async def read_topics(settings: Settings, *names: str) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of ``settings.topic(name)`` for each of ``names``, until 2 s bring nothing new."""
    consumer = AIOKafkaConsumer(
        *(settings.topic(n) for n in names),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        found: list[ConsumerRecord[bytes, bytes]] = []
        while batch := await consumer.getmany(timeout_ms=2000, max_records=10_000):
            found += [record for records in batch.values() for record in records]
        return found
    finally:
        await consumer.stop()
