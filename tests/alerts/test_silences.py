"""Silences: the matcher library, the Redis store, and on the running stack: a muted alert is
recorded and listed (``silenced_by``) but not pushed, other alerts are, and ending the silence
re-arms pushing. The stack's rule ``e2e-regulator`` fires on every regulator-forwarded complaint."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from pydantic import ValidationError

from alerts import Alert, AlertViewer, Silence, SilenceMatchers, silenced_by
from storage.silences import KEEP_EXPIRED_S, SilenceStore
from tests.alerts.test_single_event_alerts_live import Feed, ws_url
from tests.conftest import Pipeline


def _alert(**changes: Any) -> Alert:
    base = Alert(
        alert_id="a", dedup_key="k", rule_id="card-surge", kind="surge", severity="warning", title="t",
        reason="r", tag="card_arrival", group={"branch": "sh-01", "channel": "app"}, window_start=0,
        window_end=60, fired_at=100.0, audiences=("monitoring",),
    )  # fmt: skip
    return base.model_copy(update=changes)


def _silence(**matchers: Any) -> Silence:
    return Silence(
        id="s-1",
        matchers=SilenceMatchers(**matchers),
        starts_at=50,
        ends_at=500,
        reason="INC-1",
        created_by="duty",
    )


@pytest.mark.parametrize(
    ("matchers", "muted"),
    [
        ({"rule_id": "card-surge"}, True),
        ({"rule_id": "card-surge", "branch": "sh-01", "channel": "app", "tag": "card_arrival"}, True),
        ({"severity": "warning"}, True),
        ({"severity": "critical"}, False),
        ({"rule_id": "card-surge", "branch": "bj-01"}, False),
        ({"tag": "atm"}, False),
    ],
)
def test_every_matcher_given_must_equal_the_alerts(matchers: dict[str, str], muted: bool) -> None:
    assert _silence(**matchers).matches(_alert(), now=100.0) is muted


def test_a_silence_mutes_only_within_its_window_and_needs_a_reason_and_a_matcher() -> None:
    s = _silence(rule_id="card-surge")
    assert [s.state(t) for t in (10, 100, 500)] == ["pending", "active", "expired"]
    assert silenced_by([s], _alert(), now=499.9) == "s-1" and silenced_by([s], _alert(), now=500) is None
    with pytest.raises(ValidationError, match="at least one matcher"):
        SilenceMatchers()
    with pytest.raises(ValidationError, match="end after it starts"):
        Silence(id="x", matchers=SilenceMatchers(tag="a"), starts_at=5, ends_at=5, reason="r", created_by="d")
    with pytest.raises(ValidationError, match="at most 7 days"):
        Silence(
            id="x",
            matchers=SilenceMatchers(tag="a"),
            starts_at=0,
            ends_at=8 * 86400,
            reason="r",
            created_by="d",
        )
    with pytest.raises(ValidationError):
        Silence(id="x", matchers=SilenceMatchers(tag="a"), starts_at=0, ends_at=5, reason="", created_by="d")


def test_feeds_are_not_notified_of_a_silenced_alert_but_still_see_it() -> None:
    viewer = AlertViewer("monitoring")
    muted = _alert(silenced_by="s-1").to_ws_payload()
    assert viewer.sees(muted) and not viewer.notified_of(muted)
    assert viewer.notified_of(_alert().to_ws_payload())


@pytest.mark.services
async def test_the_store_keeps_ends_early_and_forgets_long_expired_silences(pipeline: Pipeline) -> None:
    client = aioredis.Redis.from_url(pipeline.stack.settings.redis_url)
    store = SilenceStore(
        client, key_prefix=f"{pipeline.stack.settings.redis_key_prefix}-{uuid.uuid4().hex[:6]}"
    )
    try:
        now = time.time()
        active = _silence(rule_id="r").model_copy(
            update={"id": "s-a", "starts_at": now - 10, "ends_at": now + 60}
        )
        old = active.model_copy(update={"id": "s-old", "starts_at": now - KEEP_EXPIRED_S - 100,
                                        "ends_at": now - KEEP_EXPIRED_S - 10})  # fmt: skip
        await store.put(active)
        await store.put(old)
        assert [s.id for s in await store.all(now=now)] == ["s-a"]  # the long-expired one is dropped
        assert await store.get("s-old") is None
        ended = await store.expire("s-a", by="night-manager", now=now)
        assert (
            ended is not None and ended.state(now + 0.01) == "expired" and ended.expired_by == "night-manager"
        )
        assert await store.expire("s-none", by="x") is None
    finally:
        await client.aclose()


async def _forwarded(http: httpx.AsyncClient, run: str, branch: str, n: int) -> str:
    complaint_id = f"{run}-{branch}-{n}"
    body = {"id": complaint_id, "text": "Forwarded by 12378", "channel": "web", "regulator_forwarded": True,
            "regulator_ref": f"12378-{run}{n}", "branch": branch}  # fmt: skip
    assert (await http.post("/api/v1/complaints", json=body)).status_code == 202
    return complaint_id


async def _listed(http: httpx.AsyncClient, complaint_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = (await http.get("/api/v1/alerts", params={"complaint_id": complaint_id})).json()["alerts"]
        if found:
            return found[0]
        await asyncio.sleep(0.3)
    raise AssertionError(f"no alert listed for {complaint_id}")


@pytest.mark.services
async def test_a_silenced_alert_is_recorded_not_pushed_until_the_silence_ends(pipeline: Pipeline) -> None:
    run = secrets.token_hex(3)
    muted_branch, other_branch = f"mute-{run}", f"loud-{run}"
    oncall = {"Authorization": f"Bearer {pipeline.stack.role_token('oncall', f'night-{run}')}"}
    async with (
        websockets.connect(ws_url(pipeline)) as ws,
        httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http,
    ):
        feed = Feed(ws)
        created = await http.post(
            "/api/v1/silences",
            json={"matchers": {"rule_id": "e2e-regulator", "branch": muted_branch}, "duration_s": 600,
                  "reason": "known incident INC-7"},
            headers=oncall,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        silence = created.json()
        assert silence["state"] == "active" and silence["created_by"] == f"night-{run}"
        listed = (await http.get("/api/v1/silences")).json()["silences"]
        assert silence["id"] in {s["id"] for s in listed}
        await asyncio.sleep(2.5)  # workers read silences every HOTLINE_RULES_RELOAD_S (1 s here)

        muted = await _forwarded(http, run, muted_branch, 1)
        loud = await _forwarded(http, run, other_branch, 1)
        await feed.wait_for(lambda m: m["alert"].get("complaint_id") == loud)
        recorded = await _listed(http, muted)
        assert recorded["silenced_by"] == silence["id"] and recorded["rule_id"] == "e2e-regulator"
        await asyncio.sleep(1.0)
        assert feed.matching(lambda m: m["alert"].get("complaint_id") == muted) == []

        ended = await http.delete(f"/api/v1/silences/{silence['id']}", headers=oncall)
        assert ended.status_code == 200 and ended.json()["state"] == "expired"
        assert ended.json()["expired_by"] == f"night-{run}"
        await asyncio.sleep(2.5)
        again = await _forwarded(http, run, muted_branch, 2)
        _, pushed = await feed.wait_for(lambda m: m["alert"].get("complaint_id") == again)
        assert pushed["alert"]["silenced_by"] is None
        feed._task.cancel()


@pytest.mark.services
def test_bad_silences_are_refused_with_the_reason(pipeline: Pipeline) -> None:
    with httpx.Client(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http:
        cases = {
            "no matcher": {"matchers": {}, "duration_s": 60, "reason": "x"},
            "no end": {"matchers": {"tag": "a"}, "reason": "x"},
            "both ends": {
                "matchers": {"tag": "a"},
                "duration_s": 60,
                "ends_at": time.time() + 60,
                "reason": "x",
            },
            "too long": {"matchers": {"tag": "a"}, "duration_s": 8 * 86400, "reason": "x"},
            "no reason": {"matchers": {"tag": "a"}, "duration_s": 60, "reason": ""},
            "over": {"matchers": {"tag": "a"}, "ends_at": time.time() - 5, "reason": "x"},
            "unknown matcher": {"matchers": {"colour": "red"}, "duration_s": 60, "reason": "x"},
        }
        for name, body in cases.items():
            response = http.post("/api/v1/silences", json=body)
            assert response.status_code == 422, (name, response.text)
            assert response.json()["detail"], name
        assert http.delete("/api/v1/silences/s-0123456789abcdef").status_code == 404
        monitor_only = {"Authorization": f"Bearer {pipeline.stack.role_token('regulator_desk')}"}
        refused = http.post("/api/v1/silences", json=cases["no end"], headers=monitor_only)
        assert refused.status_code == 403
