"""Model registry and worker-side model metrics against the real Redis (own key prefix per test)."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from storage.model_metrics import ModelMetricsStore
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

pytestmark = pytest.mark.services


async def test_save_load_meta_and_announcement(redis_client: aioredis.Redis, key_prefix: str) -> None:
    registry = ModelRegistry(redis_client, key_prefix=key_prefix)
    assert await registry.load(TAGGER_MODEL_NAME) is None and await registry.meta(TAGGER_MODEL_NAME) is None
    pubsub = redis_client.pubsub()
    await pubsub.subscribe(registry.updates_channel(TAGGER_MODEL_NAME))
    await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
    meta = await registry.save(TAGGER_MODEL_NAME, version="v1", blob=b"blob-1", source="bootstrap")
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
    await pubsub.aclose()
    assert message is not None and message["data"] == b"v1"
    assert await registry.load(TAGGER_MODEL_NAME) == ("v1", b"blob-1")
    loaded = await registry.load_with_meta(TAGGER_MODEL_NAME)
    assert loaded is not None and loaded[1] == meta
    assert (meta.size, meta.source, meta.labels_offset) == (6, "bootstrap", None)


async def test_compare_and_set_refuses_to_overwrite_a_newer_snapshot(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    registry = ModelRegistry(redis_client, key_prefix=key_prefix)
    first = await registry.save_if_current(
        TAGGER_MODEL_NAME, expected_version=None, version="a-1", blob=b"1", source="learner", labels_offset=4
    )
    assert first is not None and first.labels_offset == 4
    # a second learner that also believed the registry empty loses
    assert (
        await registry.save_if_current(
            TAGGER_MODEL_NAME, expected_version=None, version="b-1", blob=b"2", source="learner"
        )
        is None
    )
    saved = await registry.save_if_current(
        TAGGER_MODEL_NAME,
        expected_version="a-1",
        version="a-2",
        blob=b"3",
        source="learner",
        labels_offset=5,
        extra={"prequential": {"window": 1000, "dimensions": {}}},
    )
    assert saved is not None
    meta = await registry.meta(TAGGER_MODEL_NAME)
    assert meta is not None and meta.version == "a-2" and meta.extra["prequential"]["window"] == 1000
    assert await registry.load(TAGGER_MODEL_NAME) == ("a-2", b"3")


async def test_prediction_counts_and_worker_versions(redis_client: aioredis.Redis, key_prefix: str) -> None:
    metrics = ModelMetricsStore(redis_client, key_prefix=key_prefix)
    now = 1_000_000.0
    for second in range(10):
        await metrics.add_predictions(50, now=now - 10 + second)
    await metrics.add_predictions(999, now=now)  # the current, incomplete second is not averaged
    await metrics.add_predictions(0, now=now)
    assert await metrics.predictions_per_s(window_s=10, now=now) == 50.0
    assert await metrics.predictions_total() == 10 * 50 + 999
    await metrics.report_worker("host-a:1", version="v1", now=now)
    await metrics.report_worker("host-b:2", version=None, now=now - 100)
    workers = await metrics.workers(max_age_s=30, now=now)
    assert workers == {"host-a:1": {"version": "v1", "reported_at": now}}
    assert "host-b:2" not in await metrics.workers(max_age_s=1000, now=now)  # dropped as dead
