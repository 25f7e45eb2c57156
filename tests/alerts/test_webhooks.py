"""Webhook targets: configuration, message formats, and delivery to a loopback receiver (real Redis)."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import itertools
import json
import time
import typing
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis.asyncio as aioredis
import yaml

from alerts import (
    Alert,
    RuleValidationError,
    ThresholdRule,
    build_threshold_alert,
    parse_rules,
    render_webhook,
)
from alerts.webhooks import WEBHOOK_LANGUAGES, Webhook, WebhookLanguage, dingtalk_signed_url, robot_accepted
from config.settings import Settings
from storage.alert_states import AlertStore
from storage.alert_stream import AlertStream, StreamEntry
from streams.alert_webhooks import WebhookDelivery, WebhookDispatcher
from tests.alerts.webhook_receiver import Receiver, webhook_receiver
from tests.conftest import Pipeline, Stack, scratch_redis

ALERT = {
    "alert_id": "0123456789abcdef",
    "severity": "critical",
    "title": "Card surge",
    "reason": "card_arrival: 42 complaints in 5 min, about 8 expected",
    "fired_at": 1_700_000_000.0,
    "occurrences": 3,
    "acked_by": None,
    "audiences": ["monitoring"],
}


def test_config_validation_names_the_problem() -> None:
    base = "rules: []\nwebhooks:\n  - {id: w, audience: oncall, "
    assert parse_rules(base + "url: 'http://x/y'}").webhooks[0].format == "json"
    cases = {
        "url: 'http://x', url_env: X}": "webhooks[0] (w): url: give exactly one of 'url' or 'url_env'",
        "format: teams, url: 'http://x'}": "webhooks[0] (w): format: must be one of",
        "url: 'ftp://x'}": "webhooks[0] (w): url: ",
        "url: 'http://x', events: [exploded]}": "webhooks[0] (w): events[0]: must be one of",
        "url_env: lower_case}": "webhooks[0] (w): url_env: ",
    }
    for tail, problem in cases.items():
        with pytest.raises(RuleValidationError) as info:
            parse_rules(base + tail)
        assert info.value.problems[0].startswith(problem), info.value.problems
    with pytest.raises(
        RuleValidationError, match="webhooks\\[1\\] \\(w\\): id: duplicate of webhooks\\[0\\]"
    ):
        parse_rules(base + "url: 'http://x'}\n  - {id: w, audience: oncall, url: 'http://y'}")


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda b: b["alert"]["alert_id"] == ALERT["alert_id"] and b["event"] == "escalated"),
        ("wecom_text", lambda b: b["msgtype"] == "text" and "card_arrival: 42" in b["text"]["content"]),
        (
            "wecom_markdown",
            lambda b: (
                b["msgtype"] == "markdown"
                and b["markdown"]["content"].startswith('### <font color="warning">')
            ),
        ),
        ("dingtalk_text", lambda b: b["text"]["content"].startswith("[CRITICAL] ESCALATED")),
        (
            "dingtalk_markdown",
            lambda b: (
                b["markdown"]["title"].endswith("Card surge") and "> Occurrences: 3" in b["markdown"]["text"]
            ),
        ),
        (
            "slack",
            lambda b: b["blocks"][0]["text"]["text"].startswith("*[CRITICAL] ESCALATED") and "text" in b,
        ),
    ],
)
def test_formats(fmt: str, check: object) -> None:
    body = render_webhook(fmt, "escalated", ALERT, "1700000000000-0")
    assert check(body)  # type: ignore[operator]  # check is a parametrized lambda, typed object
    assert "0123456789abcdef" in str(body)


#: The texts of ALERT, escalated, in each language: headline first, then the lines under it.
WORDED = {
    "en": [
        "[CRITICAL] ESCALATED (nobody acknowledged) Card surge",
        "Occurrences: 3",
        "Acknowledged by 王经理",
        "Fired 2023-11-14 22:13:20 UTC · alert 0123456789abcdef",
    ],
    "zh": [
        "【严重】已升级（无人确认）：Card surge",
        "累计发生 3 次",
        "确认人：王经理",
        "触发时间：2023-11-14 22:13:20 UTC · 告警编号：0123456789abcdef",
    ],
}


def _robot_text(fmt: str, body: dict[str, typing.Any]) -> tuple[str, str]:
    """The (headline, whole text) a chat group shows for a robot body."""
    if fmt.endswith("_text"):
        text = body["text"]["content"]
        return text.splitlines()[0], text
    if fmt == "wecom_markdown":
        text = body["markdown"]["content"]
        return text.splitlines()[0].removeprefix('### <font color="warning">').removesuffix("</font>"), text
    if fmt == "dingtalk_markdown":
        return body["markdown"]["title"], body["markdown"]["text"]
    return body["text"].splitlines()[0], body["blocks"][0]["text"]["text"]  # slack


@pytest.mark.parametrize("language", WEBHOOK_LANGUAGES)
@pytest.mark.parametrize(
    "fmt", ["wecom_text", "wecom_markdown", "dingtalk_text", "dingtalk_markdown", "slack"]
)
def test_robot_texts_are_in_the_language_asked(fmt: str, language: WebhookLanguage) -> None:
    alert = {**ALERT, "acked_by": "王经理"}
    headline, text = _robot_text(fmt, render_webhook(fmt, "escalated", alert, "1-0", language))
    expected, *lines = WORDED[language]
    assert headline == expected
    assert all(line in text for line in lines), text
    other = WORDED["zh" if language == "en" else "en"]
    assert not any(line in text for line in other), text


def test_zh_words_every_event_and_severity_and_json_stays_the_same() -> None:
    headlines = [
        render_webhook("wecom_text", event, {**ALERT, "severity": severity}, "1-0", "zh")["text"][
            "content"
        ].splitlines()[0]
        for event, severity in [
            ("fired", "info"),
            ("updated", "warning"),
            ("acknowledged", "critical"),
            ("resolved", "info"),
        ]
    ]
    assert headlines == [
        "【信息】Card surge",
        "【警告】重复：Card surge",
        "【严重】已确认：Card surge",
        "【信息】已解决：Card surge",
    ]
    assert render_webhook("json", "fired", ALERT, "1-0", "zh") == render_webhook(
        "json", "fired", ALERT, "1-0"
    )


def test_language_setting_and_per_webhook_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_WEBHOOK_LANGUAGE", "zh")
    assert Settings().webhook_language == "zh"
    assert typing.get_args(Settings.model_fields["webhook_language"].annotation) == WEBHOOK_LANGUAGES
    base = "rules: []\nwebhooks:\n  - {id: w, audience: oncall, url: 'http://x', "
    assert parse_rules(base + "language: zh}").webhooks[0].language == "zh"
    assert parse_rules(base + "format: slack}").webhooks[0].language is None
    with pytest.raises(RuleValidationError, match="webhooks\\[0\\] \\(w\\): language: must be one of"):
        parse_rules(base + "language: fr}")


async def test_the_webhook_language_beats_the_default() -> None:
    posted: list[dict[str, typing.Any]] = []

    def robot(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={"errcode": 0})

    stream = AlertStream(aioredis.Redis(), key_prefix="unused")  # deliver() never reads it
    entry = StreamEntry("1-0", "escalated", {**ALERT, "acked_by": "王经理"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(robot)) as client:
        for hook_language, default in [("en", "zh"), ("zh", "en"), (None, "zh"), (None, "en")]:
            target = Webhook.model_validate(
                {"id": "w", "audience": "oncall", "format": "wecom_text", "url": "http://robot/x",
                 "language": hook_language}
            )  # fmt: skip
            delivery = WebhookDelivery(
                stream, target, client, backoff_s=0.01, backoff_cap_s=0.01, language=default
            )
            assert await delivery.deliver(entry)
    assert [body["text"]["content"].splitlines()[0] for body in posted] == [
        WORDED["en"][0],
        WORDED["zh"][0],
        WORDED["zh"][0],
        WORDED["en"][0],
    ]
    dispatcher = WebhookDispatcher(stream, backoff_s=0.1, backoff_cap_s=0.1, language="zh")
    try:
        dispatcher.sync((target,))  # the last target: no language of its own
        assert dispatcher.tasks["w"][1].language == "zh"
    finally:
        await dispatcher.close()


def test_robot_answers_and_dingtalk_signature() -> None:
    assert robot_accepted("wecom_text", 200, b'{"errcode":0,"errmsg":"ok"}')
    assert not robot_accepted("dingtalk_text", 200, b'{"errcode":310000,"errmsg":"sign not match"}')
    assert robot_accepted("slack", 200, b"ok") and not robot_accepted("json", 503, b"")
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECret", 1700000000000)
    query = parse_qs(urlsplit(url).query)
    expected = base64.b64encode(
        hmac.new(b"SECret", b"1700000000000\nSECret", hashlib.sha256).digest()
    ).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]


# -- delivery against a loopback receiver and the real Redis ----------------------------------------
@pytest.fixture
async def stream(stack: Stack) -> AsyncIterator[AlertStream]:
    async with scratch_redis(stack.settings.redis_url, "hooks") as (client, prefix):
        yield AlertStream(client, key_prefix=prefix)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def alert(n: int, severity: str = "critical") -> Alert:
    rule = ThresholdRule.model_validate(
        {"id": f"hook-{n}", "kind": "threshold", "title": f"Hook {n}", "severity": severity,
         "dimension": "d", "tag": "a", "window_seconds": 60, "threshold": 1}
    )  # fmt: skip
    return build_threshold_alert(rule, group="tag=a", window_start=60 * n, count=1, fired_at=time.time())


def hook(receiver: Receiver, path: str, **kw: object) -> Webhook:
    return Webhook.model_validate(
        {"id": path.strip("/") or "root", "audience": "oncall", "url": receiver.url(path), **kw}
    )


@pytest.mark.services
async def test_payloads_and_routing_reach_the_receiver(stream: AlertStream, receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        delivery = WebhookDelivery(
            stream, hook(receiver, "/ok", format="wecom_markdown"), client, backoff_s=0.05, backoff_cap_s=0.2
        )
        task = asyncio.ensure_future(delivery.run())
        await stream.publish(alert(1, "critical"))
        await stream.publish(alert(2, "warning"))  # on-call does not get plain warnings
        await stream.publish(alert(3, "critical"))
        got = await asyncio.to_thread(receiver.wait, "/ok", 2)
        await asyncio.sleep(0.5)
        task.cancel()
    assert len(receiver.at("/ok")) == 2
    assert ["Hook 1" in r.body["markdown"]["content"] for r in got] == [True, False]
    assert "Hook 3" in got[1].body["markdown"]["content"]


@pytest.mark.services
async def test_failures_are_retried_with_backoff_and_bad_requests_are_not(
    stream: AlertStream, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as client:
        flaky = WebhookDelivery(
            stream, hook(receiver, "/flaky", max_attempts=4), client, backoff_s=0.2, backoff_cap_s=1.0
        )
        bad = WebhookDelivery(
            stream, hook(receiver, "/bad", max_attempts=4), client, backoff_s=0.2, backoff_cap_s=1.0
        )
        refused = WebhookDelivery(
            stream,
            hook(receiver, "/refuses", format="wecom_text", max_attempts=2),
            client,
            backoff_s=0.05,
            backoff_cap_s=0.1,
        )
        await stream.publish(alert(1))
        [entry] = await stream.read_entries("0-0")
        assert await flaky.deliver(entry) is True
        assert await bad.deliver(entry) is False
        assert await refused.deliver(entry) is False
    attempts = receiver.at("/flaky")
    assert len(attempts) == 3  # two 500s, then accepted
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.18 and gaps[1] >= 0.38  # 0.2 s, then 0.4 s
    assert all(r.body == attempts[0].body for r in attempts)  # the same message each time
    assert len(receiver.at("/bad")) == 1 and len(receiver.at("/refuses")) == 2
    assert (flaky.delivered, bad.failed, refused.failed) == (1, 1, 1)


@pytest.mark.services
async def test_a_dead_target_never_holds_up_another(stream: AlertStream, receiver: Receiver) -> None:
    dead = Webhook.model_validate(
        {"id": "dead", "audience": "oncall", "url": "http://127.0.0.1:9/x", "max_attempts": 20}
    )
    dispatcher = WebhookDispatcher(stream, backoff_s=0.5, backoff_cap_s=5.0)
    try:
        dispatcher.sync((dead, hook(receiver, "/ok")))
        await asyncio.sleep(0.3)
        started = time.time()
        for n in range(3):
            await stream.publish(alert(n))
        got = await asyncio.to_thread(receiver.wait, "/ok", 3, 10.0)
        assert max(r.at for r in got) - started < 3.0
        # The next alert is not held up either.
        await stream.publish(alert(9))
        await asyncio.to_thread(receiver.wait, "/ok", 4, 5.0)
        # A target removed from the rules stops.
        dispatcher.sync((hook(receiver, "/ok"),))
        assert set(dispatcher.tasks) == {"ok"}
    finally:
        await dispatcher.close()


@pytest.mark.services
async def test_a_restarted_target_resumes_after_what_it_delivered(
    stream: AlertStream, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as client:
        target = hook(receiver, "/ok", format="json")
        start = functools.partial(WebhookDelivery, stream, target, client, backoff_s=0.05, backoff_cap_s=0.1)
        task = asyncio.ensure_future(start().run())
        await stream.publish(alert(1))
        await asyncio.to_thread(receiver.wait, "/ok", 1)
        await asyncio.sleep(0.3)
        task.cancel()
        await stream.publish(alert(2))  # while it is down
        task = asyncio.ensure_future(start().run())  # a fresh delivery, as after a restart
        got = await asyncio.to_thread(receiver.wait, "/ok", 2)
        await asyncio.sleep(0.5)
        task.cancel()
    assert [r.body["alert"]["rule_id"] for r in receiver.at("/ok")] == ["hook-1", "hook-2"]
    assert isinstance(got[0].body["stream_id"], str) and StreamEntry


@pytest.mark.services
async def test_the_worker_pushes_to_the_webhooks_in_the_rules(pipeline: Pipeline, receiver: Receiver) -> None:
    run = uuid.uuid4().hex[:6]
    s = pipeline.stack.settings
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http:
        original = (await http.get("/api/v1/rules")).json()
        document = yaml.safe_load(original["yaml"]) or {}
        document["webhooks"] = [
            {"id": f"hook-{run}", "audience": "monitoring", "format": "slack", "url": receiver.url("/ok"),
             "events": ["fired", "acknowledged"]},
            {"id": f"hook-{run}-zh", "audience": "monitoring", "format": "wecom_text", "language": "zh",
             "url": receiver.url("/zh"), "events": ["acknowledged"]},
        ]  # fmt: skip
        assert (await http.put("/api/v1/rules", json=document)).status_code == 200
        client = aioredis.Redis.from_url(s.redis_url)
        try:
            await asyncio.sleep(3 * s.rules_reload_s + 2.5)  # the worker reloads, then starts the loop
            store = AlertStore(client, key_prefix=s.redis_key_prefix)
            fired = await store.raise_alert(alert(int(run, 16) % 100_000, "info"))
            assert fired.alert is not None
            r = await http.post(f"/api/v1/alerts/{fired.alert.alert_id}/ack", json={"by": "hooked"})
            assert r.status_code == 200
            deadline = time.monotonic() + 20
            got, zh = [], []
            while (
                len(got) < 2 or not zh
            ) and time.monotonic() < deadline:  # other tests' alerts may come too
                got = [r for r in receiver.at("/ok") if fired.alert.alert_id in r.body["text"]]
                zh = [r for r in receiver.at("/zh") if fired.alert.alert_id in r.body["text"]["content"]]
                await asyncio.sleep(0.1)
        finally:
            await client.aclose()
            await http.put(
                "/api/v1/rules", content=original["yaml"], headers={"Content-Type": "application/yaml"}
            )
    texts = [r.body["text"] for r in got]
    assert texts[0].startswith("[INFO] Hook") and fired.alert.alert_id in texts[0]
    assert texts[1].startswith("[INFO] ACKNOWLEDGED Hook") and "Acknowledged by hooked" in texts[1]
    assert zh[0].body["text"]["content"].startswith("【信息】已确认：Hook") and "确认人：hooked" in str(
        zh[0].body
    )


async def test_a_target_whose_url_variable_is_unset_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_TEST_HOOK_URL", raising=False)
    stream = AlertStream(aioredis.Redis(), key_prefix="unused")  # never connects: nothing runs
    dispatcher = WebhookDispatcher(stream, backoff_s=0.1, backoff_cap_s=0.1)
    hook_off = Webhook.model_validate({"id": "off", "audience": "oncall", "url_env": "HOTLINE_TEST_HOOK_URL"})
    try:
        dispatcher.sync((hook_off,))
        assert dispatcher.tasks == {} and dispatcher.unset == {"off"}
    finally:
        await dispatcher.close()
