"""The alert store on the real Redis: new alerts, repeats, redeliveries, ack/resolve, escalation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import partial

import pytest
import redis.asyncio as aioredis

from alerts import Alert, TransitionError, acknowledge, build_threshold_alert, escalate, resolve
from storage.alert_states import AlertNotFound, AlertStore
from tests.alerts.conftest import RuleFactory
from tests.conftest import Stack, scratch_redis

pytestmark = pytest.mark.services

StoreFactory = Callable[..., AlertStore]


@pytest.fixture
async def store_factory(stack: Stack) -> AsyncIterator[StoreFactory]:
    async with scratch_redis(stack.settings.redis_url, "states") as (client, prefix):

        def make(**kwargs: object) -> AlertStore:
            return AlertStore(
                client,
                key_prefix=prefix,
                **kwargs,  # type: ignore[arg-type]  # kwargs typed object; tests pass AlertStore options
            )

        yield make


def _crossing(make_rule: RuleFactory, window: int, *, count: int = 5, **rule: object) -> Alert:
    r = make_rule(**rule)
    start = window * r.window_seconds
    return build_threshold_alert(
        r, group="tag=card_arrival", window_start=start, count=count, fired_at=start + 61.0
    )


async def test_new_then_repeat_updates_the_count_and_tells_the_stream(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory()
    first = await store.raise_alert(_crossing(make_rule, 0), cooldown_seconds=600)
    assert first.event == "fired" and first.alert is not None and first.stream_id is not None
    repeat = await store.raise_alert(_crossing(make_rule, 1, count=9), cooldown_seconds=600)
    assert repeat.event == "updated" and repeat.alert is not None
    assert repeat.alert.alert_id == first.alert.alert_id
    assert repeat.alert.occurrences == 2 and repeat.alert.count == 9
    # The same occurrence evaluated again (a redelivery) changes nothing.
    again = await store.raise_alert(_crossing(make_rule, 1, count=9), cooldown_seconds=600)
    assert again.event is None
    stored = await store.get(first.alert.alert_id)
    assert stored is not None and stored.occurrences == 2
    entries = await store.stream.read_entries("0-0")
    assert [(e.event, e.alert["alert_id"], e.alert["occurrences"]) for e in entries] == [
        ("fired", first.alert.alert_id, 1),
        ("updated", first.alert.alert_id, 2),
    ]


async def test_quiet_longer_than_cooldown_or_resolved_makes_a_new_alert(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory()
    first = await store.raise_alert(_crossing(make_rule, 0), cooldown_seconds=120)
    later = await store.raise_alert(_crossing(make_rule, 5), cooldown_seconds=120)  # 300 s after
    assert first.event == later.event == "fired"
    assert first.alert is not None and later.alert is not None
    assert later.alert.alert_id != first.alert.alert_id
    await store.transition(later.alert.alert_id, partial(resolve, by="ops", at=1.0), "resolved")
    after_resolve = await store.raise_alert(_crossing(make_rule, 6), cooldown_seconds=None)
    assert after_resolve.event == "fired"


async def test_a_batch_with_repeats_of_one_series_yields_one_alert(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory()
    outcomes = await store.raise_many([(_crossing(make_rule, w, count=w + 1), None) for w in range(6)])
    assert [o.event for o in outcomes] == ["fired"] + ["updated"] * 5
    final = await store.get(outcomes[0].alert.alert_id)  # type: ignore[union-attr]  # fired, so alert is set
    assert final is not None and final.occurrences == 6 and final.count == 6


async def test_concurrent_raisers_count_each_occurrence_once(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    stores = [store_factory() for _ in range(6)]
    candidates = [_crossing(make_rule, w) for w in range(4)]
    # Six workers (a redelivery storm) raise the same four occurrences at once.
    results = await asyncio.gather(
        *(s.raise_alert(c, cooldown_seconds=None) for s in stores for c in candidates)
    )
    assert sum(r.event == "fired" for r in results) == 1
    assert sum(r.event == "updated" for r in results) == 3
    alert_id = next(
        r.alert.alert_id  # type: ignore[union-attr]  # a fired outcome always carries its alert
        for r in results
        if r.event == "fired"
    )
    stored = await stores[0].get(alert_id)
    assert stored is not None and stored.occurrences == 4
    assert len(await stores[0].stream.read_entries("0-0")) == 4


async def test_acknowledge_and_resolve_are_recorded_once(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory()
    fired = await store.raise_alert(_crossing(make_rule, 0, severity="critical"))
    assert fired.alert is not None
    alert_id = fired.alert.alert_id
    acked = await store.transition(alert_id, partial(acknowledge, by="li.na", at=50.0), "acknowledged")
    assert acked.stream_id is not None and acked.alert.acked_by == "li.na"
    again = await store.transition(alert_id, partial(acknowledge, by="zhao", at=60.0), "acknowledged")
    assert again.stream_id is None and again.alert.acked_by == "li.na"
    done = await store.transition(alert_id, partial(resolve, by="li.na", at=70.0, note="ok"), "resolved")
    assert done.alert.status == "resolved"
    with pytest.raises(TransitionError):
        await store.transition(alert_id, partial(acknowledge, by="late", at=80.0), "acknowledged")
    with pytest.raises(AlertNotFound):
        await store.transition("0" * 16, partial(acknowledge, by="x", at=1.0), "acknowledged")
    events = [e.event for e in await store.stream.read_entries("0-0")]
    assert events == ["fired", "acknowledged", "resolved"]


async def test_unacknowledged_critical_alerts_come_due_for_escalation(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory(escalate_after_s=300.0, escalate_min_severity="critical")
    critical = await store.raise_alert(_crossing(make_rule, 0, severity="critical", id="crit"))
    acked_one = await store.raise_alert(_crossing(make_rule, 0, severity="critical", id="crit-acked"))
    warning = await store.raise_alert(_crossing(make_rule, 0, severity="warning", id="warn"))
    assert critical.alert and acked_one.alert and warning.alert
    fired_at = critical.alert.fired_at
    await store.transition(
        acked_one.alert.alert_id, partial(acknowledge, by="x", at=fired_at + 10), "acknowledged"
    )
    assert await store.due_escalations(fired_at + 299) == []
    assert await store.due_escalations(fired_at + 301) == [critical.alert.alert_id]
    out = await store.transition(critical.alert.alert_id, partial(escalate, at=fired_at + 301), "escalated")
    assert out.stream_id is not None and out.alert.escalated_at == fired_at + 301
    assert await store.due_escalations(fired_at + 10_000) == []


async def test_alerts_without_a_series_are_raised_once(
    store_factory: StoreFactory, make_rule: RuleFactory
) -> None:
    store = store_factory()
    lone = _crossing(make_rule, 0).model_copy(update={"series": ""})
    other = _crossing(make_rule, 1).model_copy(update={"series": ""})
    first = await store.raise_many([(lone, None), (other, 60), (lone, None)])
    assert [o.event for o in first] == ["fired", "fired", None]
    assert (await store.raise_alert(lone)).event is None
    assert [e.alert["alert_id"] for e in await store.stream.read_entries("0-0")] == [
        lone.alert_id,
        other.alert_id,
    ]


@pytest.mark.local_services
async def test_raise_waits_out_an_unreachable_redis_and_stores_the_alert_once(
    make_rule: RuleFactory, tmp_path
) -> None:
    """A worker's store retries while Redis is down (the agent pauses) instead of losing the alert."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from hotline.local_services import redis_server
    from tests.conftest import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    client = aioredis.Redis.from_url(url)
    store = AlertStore(
        client, key_prefix="test-unreachable", unreachable_retry_s=60, unreachable_backoff_max_s=0.5
    )
    alert = _crossing(make_rule, 0)
    raising = asyncio.ensure_future(store.raise_alert(alert, cooldown_seconds=600))
    try:
        await asyncio.sleep(1.5)
        assert not raising.done()  # still retrying: nothing listens on the port yet
        await asyncio.to_thread(redis_server.start, tmp_path, url)
        outcome = await asyncio.wait_for(raising, 30)
        assert outcome.event == "fired"
        assert [a["alert_id"] for _, a in await store.stream.latest(10)] == [alert.alert_id]
        # Without a retry budget the outage is the caller's to handle.
        once = AlertStore(aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0"), key_prefix="x")
        with pytest.raises(RedisConnectionError):
            await once.raise_alert(alert)
        await once.redis.aclose()
    finally:
        raising.cancel()
        await client.aclose()
        await asyncio.to_thread(redis_server.stop, tmp_path)
