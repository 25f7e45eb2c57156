"""The alert stream against the real Redis (shared: every test uses its own key prefix and deletes it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from alerts import Alert, ThresholdRule, build_threshold_alert
from config.settings import Settings
from storage.alert_stream import AlertStream

pytestmark = pytest.mark.services

RULE = ThresholdRule(
    id="card-arrival-burst",
    kind="threshold",
    title="Card arrival burst",
    severity="warning",
    dimension="banking77",
    tag="*",
    group_by=("branch",),
    window_seconds=60,
    threshold=20,
)


def make_alert(n: int, *, count: int = 20, fired_at: float = 1_000.0) -> Alert:
    """The n-th distinct alert (one window each)."""
    return build_threshold_alert(
        RULE, group="tag=card_arrival&branch=B1", window_start=60 * n, count=count, fired_at=fired_at
    )


@pytest.fixture
def make_stream(redis_client: aioredis.Redis, key_prefix: str) -> Callable[..., AlertStream]:
    def make(**kwargs: int) -> AlertStream:
        return AlertStream(redis_client, key_prefix=key_prefix, **kwargs)

    return make


async def test_keys_live_under_the_prefix(make_stream: Callable[..., AlertStream], key_prefix: str) -> None:
    stream = make_stream()
    alert = make_alert(1)
    await stream.publish(alert)
    assert stream.stream_key == f"{key_prefix}:alerts"
    keys = {key.decode() async for key in stream.redis.scan_iter(match=f"{key_prefix}:*")}
    assert keys == {f"{key_prefix}:alerts", f"{key_prefix}:alerts:dedup:{alert.alert_id}"}


async def test_publish_once_per_alert_id(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream(dedup_ttl_s=3600)
    alert = make_alert(1)
    entry_id = await stream.publish(alert)
    assert entry_id is not None
    # A redelivered crossing: same dedup key, later evaluation, higher count -> same id, not published.
    assert await stream.publish(make_alert(1, count=25, fired_at=2_000.0)) is None
    assert await stream.publish(alert) is None
    assert await stream.length() == 1
    assert await stream.entry_id(alert.alert_id) == entry_id
    ttl = await stream.redis.ttl(stream.dedup_key(alert.alert_id))
    assert 0 < ttl <= 3600
    [(read_id, payload)] = await stream.read("0-0")
    assert read_id == entry_id
    assert Alert.model_validate(payload) == alert


async def test_concurrent_publishers_publish_once(make_stream: Callable[..., AlertStream]) -> None:
    streams = [make_stream() for _ in range(10)]
    results = await asyncio.gather(*(s.publish(make_alert(7)) for s in streams))
    assert sum(r is not None for r in results) == 1
    assert await streams[0].length() == 1


async def test_resume_gets_exactly_the_missed_alerts_in_order(
    make_stream: Callable[..., AlertStream],
) -> None:
    stream = make_stream()
    published = [await stream.publish(make_alert(n)) for n in range(5)]
    seen = await stream.read("0-0", count=2)
    assert [entry_id for entry_id, _ in seen] == published[:2]
    # The client disconnects after two alerts; more alerts (and a duplicate) are published meanwhile.
    published += [await stream.publish(make_alert(n)) for n in range(5, 8)]
    assert await stream.publish(make_alert(3)) is None
    last_seen = seen[-1][0]
    resumed = await stream.read(last_seen, count=100)
    assert [entry_id for entry_id, _ in resumed] == published[2:]
    assert [payload["window_start"] for _, payload in resumed] == [60 * n for n in range(2, 8)]
    everything = [entry_id for entry_id, _ in seen + resumed]
    assert len(everything) == len(set(everything)) == 8
    assert await stream.read(resumed[-1][0]) == []


async def test_resume_in_small_pages_sees_each_alert_once(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream()
    published = [await stream.publish(make_alert(n)) for n in range(11)]
    cursor, got = "0-0", []
    while page := await stream.read(cursor, count=3):
        got += [entry_id for entry_id, _ in page]
        cursor = page[-1][0]
    assert got == published


async def test_blocking_read_from_dollar_gets_new_alert(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream()
    await stream.publish(make_alert(0))
    assert await stream.read("$") == []  # "$": only what arrives after the call

    async def publish_soon() -> str | None:
        await asyncio.sleep(0.1)
        return await stream.publish(make_alert(1))

    reader = asyncio.create_task(stream.read("$", block_ms=5_000))
    entry_id = await publish_soon()
    entries = await asyncio.wait_for(reader, timeout=5)
    assert [e for e, _ in entries] == [entry_id]


async def test_blocking_read_times_out_empty(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream()
    await stream.publish(make_alert(0))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await stream.read(await stream.last_id(), block_ms=150) == []
    assert loop.time() - started >= 0.1


async def test_latest_and_last_id(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream()
    assert await stream.latest(5) == []
    assert await stream.last_id() == "0-0"
    published = [await stream.publish(make_alert(n)) for n in range(6)]
    latest = await stream.latest(3)
    assert [entry_id for entry_id, _ in latest] == published[-3:]
    assert [payload["window_start"] for _, payload in latest] == [180, 240, 300]
    assert await stream.last_id() == published[-1]
    assert await stream.latest(0) == []


async def test_stream_is_capped(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream(maxlen=10)
    for n in range(400):
        await stream.publish(make_alert(n))
    # Trimming is approximate (whole radix-tree nodes of <=100 entries), but it happens.
    assert 10 <= await stream.length() < 200
    oldest_id, oldest = (await stream.read("0-0", count=1))[0]
    assert oldest["window_start"] > 0
    # A cursor older than everything kept resumes from the oldest kept entry.
    assert (await stream.read("0-1", count=1))[0][0] == oldest_id


async def test_decoding_client_reads_the_same(
    key_prefix: str, make_stream: Callable[..., AlertStream]
) -> None:
    await make_stream().publish(make_alert(1))
    client = aioredis.Redis.from_url(Settings().redis_url, decode_responses=True)
    try:
        stream = AlertStream(client, key_prefix=key_prefix)
        [(entry_id, payload)] = await stream.read("0-0")
        assert isinstance(entry_id, str)
        assert payload["alert_id"] == make_alert(1).alert_id
        assert await stream.publish(make_alert(1)) is None
        assert await stream.publish(make_alert(2)) is not None
    finally:
        await client.aclose()


@pytest.mark.parametrize("bad", ["", "abc", "1-2-3", "-1", "0-0; FLUSHALL", "+"])
async def test_invalid_cursor_is_rejected(make_stream: Callable[..., AlertStream], bad: str) -> None:
    with pytest.raises(ValueError, match="entry id"):
        await make_stream().read(bad)


async def test_invalid_arguments(make_stream: Callable[..., AlertStream]) -> None:
    stream = make_stream()
    with pytest.raises(ValueError):
        await stream.read("0-0", count=0)
    with pytest.raises(ValueError):
        await stream.read("0-0", block_ms=-1)
    with pytest.raises(ValueError):
        make_stream(maxlen=0)
