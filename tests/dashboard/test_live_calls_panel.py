"""The live-calls panel in a real browser: calls, their running transcript and risk arrive by push
(``WS /ws/live-calls``), with no polling of the calls endpoints; a two-channel call's lines name
their speaker, and the transcript grows on the wall layout."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from storage.call_live_state import LiveCallStore
from tests.conftest import Pipeline
from tests.dashboard.conftest import ARTIFACTS, open_live_call

pytestmark = pytest.mark.services

#: Pushed changes show well within this (the panel redraws every 150 ms).
SHOW_WITHIN_MS = 5_000


def _utterance(index: int, text: str, risk: float, level: str, speaker: str | None = None) -> dict[str, Any]:
    """An utterance as the API shows it; ``speaker`` left out as in records from before two-channel calls."""
    utterance = {
        "index": index,
        "text": text,
        "start_s": 2.0 * index,
        "end_s": 2.0 * index + 1.5,
        "confidence": 0.9,
        "risk": risk,
        "risk_level": level,
        "risk_terms": [],
        "words": [],
    }
    return utterance if speaker is None else {**utterance, "speaker": speaker}


def _with_store(pipeline: Pipeline, action: Callable[[LiveCallStore], Awaitable[Any]]) -> None:
    """Run ``action`` on a live-call store (as the transcribe agent writes it), in a thread of its
    own: Playwright's sync API runs a loop in this one."""
    settings = pipeline.stack.settings

    async def run() -> None:
        client = aioredis.Redis.from_url(settings.redis_url)
        try:
            await action(LiveCallStore(client, key_prefix=settings.redis_key_prefix, ended_ttl_s=60))
        finally:
            await client.aclose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_a_call_is_pushed_to_the_panel_as_it_goes_without_polling(
    browser: Any, dashboard_stack: Pipeline
) -> None:
    call_id = f"push-{secrets.token_hex(4)}"
    line = f"push-line-{secrets.token_hex(2)}"
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    requests: list[str] = []
    errors: list[str] = []
    sockets: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.goto(dashboard_stack.url + "/")
        page.fill("#token", dashboard_stack.stack.token)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector('#status[data-state="connected"]', timeout=10_000)
        panel = page.locator('[data-panel="calls"]')
        page.wait_for_function(
            "() => document.querySelector('[data-panel=\"calls\"]').dataset.state !== undefined",
            timeout=10_000,
        )
        call = panel.locator(f'.call[data-call-id="{call_id}"]')

        async def start(store: LiveCallStore) -> None:
            await open_live_call(store, call_id, line=line, branch="push")
            await store.add_utterance(call_id, _utterance(0, "我的卡还没到", 0.1, "low"), 0.1)
            await store.record_frame(
                call_id, at=time.time(), partial="我要投诉", audio_seconds=3.0, reply=None
            )

        _with_store(dashboard_stack, start)
        call.wait_for(timeout=SHOW_WITHIN_MS)
        assert line in call.locator(".call-meta").inner_text()
        assert call.locator(".utt.risk-low").inner_text() == "我的卡还没到"
        page.wait_for_function(
            f"() => document.querySelector('.call[data-call-id=\"{call_id}\"] .utt.partial')?.textContent"
            " === '我要投诉'",
            timeout=SHOW_WITHIN_MS,
        )
        assert "low" in (call.get_attribute("class") or "")

        async def escalate(store: LiveCallStore) -> None:
            await store.add_utterance(call_id, _utterance(1, "我要去12378投诉你们", 0.92, "high"), 0.92)

        _with_store(dashboard_stack, escalate)
        call.locator(".utt.risk-high").wait_for(timeout=SHOW_WITHIN_MS)
        assert call.locator(".utt").all_inner_texts() == ["我的卡还没到", "我要去12378投诉你们"]
        assert call.locator(".utt.partial").count() == 0  # the final took the words in progress
        assert "0.92" in call.locator(".risk").inner_text()
        assert "high" in (call.get_attribute("class") or "")
        page.screenshot(path=str(ARTIFACTS / "live-call-pushed-zh.png"), full_page=True)

        async def end(store: LiveCallStore) -> None:
            await store.end_call(call_id, ended_at=time.time(), reason="eof", audio_seconds=6.0)

        _with_store(dashboard_stack, end)
        call.wait_for(state="detached", timeout=SHOW_WITHIN_MS)

        assert any("/ws/live-calls" in url for url in sockets)
        polled = [url for url in requests if "/api/v1/calls" in url]
        assert polled == [], f"the panel polled: {polled}"
        assert errors == []
    finally:
        context.close()


def _sign_in(page: Any, pipeline: Pipeline) -> None:
    """Sign in and wait until the calls panel has drawn the feed's first snapshot."""
    page.goto(pipeline.url + "/")
    page.fill("#token", pipeline.stack.token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector('#status[data-state="connected"]', timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('[data-panel=\"calls\"]').dataset.state !== undefined",
        timeout=10_000,
    )


def _style(page: Any, selector: str, *properties: str) -> dict[str, str]:
    """The computed ``properties`` of the first element ``selector`` matches."""
    return page.evaluate(
        "([selector, properties]) => { const s = getComputedStyle(document.querySelector(selector));"
        " return Object.fromEntries(properties.map((p) => [p, s.getPropertyValue(p)])); }",
        [selector, list(properties)],
    )


def _px(value: str) -> float:
    return float(value.removesuffix("px"))


def test_two_channel_lines_are_labelled_by_speaker_and_the_wall_transcript_is_larger(
    browser: Any, dashboard_stack: Pipeline
) -> None:
    """The two-channel call's messages are pushed into the page's own socket, shaped as the feed
    sends them (so no stereo audio need be transcribed here); the mono call comes through the real
    stack, and the page's socket still talks to the real server throughout."""
    duplex_id = f"duplex-{secrets.token_hex(4)}"
    mono_id = f"mono-{secrets.token_hex(4)}"
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    feeds: list[Any] = []  # the page's /ws/live-calls, passed through to the real server

    def through(route: Any) -> None:
        route.connect_to_server()
        feeds.append(route)

    def push(message: dict[str, Any]) -> None:
        feeds[-1].send(json.dumps(message))

    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(f"{m.text} {m.location}"))
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.route_web_socket("**/ws/live-calls*", through)
        _sign_in(page, dashboard_stack)
        assert feeds, "the panel's socket did not go through the route"
        duplex = page.locator(f'.call[data-call-id="{duplex_id}"]')
        mono = page.locator(f'.call[data-call-id="{mono_id}"]')

        # A snapshot (on every reconnect) carries each live call's transcript so far, speakers included.
        push(
            {
                "event": "snapshot",
                "calls": [
                    {
                        "call_id": duplex_id,
                        "status": "live",
                        "source": "live",
                        "started_at": datetime.now(UTC).isoformat(),
                        "line": "duplex-line",
                        "branch": "stereo",
                        "sample_rate": 8000,
                        "audio_seconds": 4.0,
                        "utterance_count": 2,
                        "max_risk": 0.2,
                        "partial": "",
                        "transcript": "",
                        "utterances": [
                            _utterance(0, "您好，信用卡中心，请问有什么可以帮您？", 0.0, "low", "agent"),
                            _utterance(1, "我的信用卡还没寄到。", 0.2, "low", "customer"),
                        ],
                    }
                ],
            }
        )
        duplex.locator(".utt").nth(1).wait_for(timeout=SHOW_WITHIN_MS)

        # An agent's words never raise the call's risk, nor are they marked, whatever they score.
        push(
            {
                "event": "utterance",
                "call_id": duplex_id,
                "utterance": _utterance(2, "您也可以向12378反映，我们会先为您处理。", 0.75, "high", "agent"),
            }
        )
        duplex.locator(".utt").nth(2).wait_for(timeout=SHOW_WITHIN_MS)
        assert duplex.locator(".utt.risk-high").count() == 0
        assert "0.20" in duplex.locator(".risk").inner_text()
        assert "low" in (duplex.get_attribute("class") or "").split()

        long_text = "已经等了三周了，再不解决我就去12378投诉你们！卡号" + "6222021234567890" * 8
        push(
            {
                "event": "utterance",
                "call_id": duplex_id,
                "utterance": _utterance(3, long_text, 0.92, "high", "customer"),
            }
        )
        duplex.locator(".utt.risk-high").wait_for(timeout=SHOW_WITHIN_MS)
        push({"event": "partial", "call_id": duplex_id, "partial": "那你们到底什么时候"})
        duplex.locator(".utt.partial").wait_for(timeout=SHOW_WITHIN_MS)
        assert "0.92" in duplex.locator(".risk").inner_text()
        assert "high" in (duplex.get_attribute("class") or "").split()

        # The mono call through the real stack: its utterance is stored without a speaker (as records
        # from before two-channel calls are); the feed may then leave the field out, or say "mixed".
        async def start_mono(store: LiveCallStore) -> None:
            # started earlier: listed below the two-channel call
            await open_live_call(store, mono_id, line="mono-line", branch="mono", started_at=time.time() - 60)
            await store.add_utterance(mono_id, _utterance(0, "我的卡被吞了", 0.1, "low"), 0.1)

        _with_store(dashboard_stack, start_mono)
        mono.locator(".utt").first.wait_for(timeout=SHOW_WITHIN_MS)
        push(
            {
                "event": "utterance",
                "call_id": mono_id,
                "utterance": _utterance(1, "我要投诉你们网点", 0.5, "medium", "mixed"),
            }
        )
        mono.locator(".utt.risk-medium").wait_for(timeout=SHOW_WITHIN_MS)
        push({"event": "utterance", "call_id": mono_id, "utterance": _utterance(2, "卡号是多少", 0.0, "low")})
        mono.locator(".utt").nth(2).wait_for(timeout=SHOW_WITHIN_MS)

        finals = duplex.locator(".utt:not(.partial)")
        assert [finals.nth(i).get_attribute("data-speaker") for i in range(4)] == [
            "agent",
            "customer",
            "agent",
            "customer",
        ]
        assert duplex.locator(".utt .speaker").all_inner_texts() == ["坐席", "客户", "坐席", "客户"]
        assert duplex.locator(".utt-text").nth(1).inner_text() == "我的信用卡还没寄到。"
        for i, speaker in enumerate(["agent", "customer", "agent", "customer"]):
            classes = (finals.nth(i).get_attribute("class") or "").split()
            assert f"speaker-{speaker}" in classes
            risk_classes = [c for c in classes if c.startswith("risk-")]
            assert risk_classes == ([] if speaker == "agent" else [["risk-low", "risk-high"][i // 2]])
        # Only the newest final line is emphasised; the words in progress are set apart, unlabelled.
        assert duplex.locator(".utt.latest").count() == 1
        assert duplex.locator(".utt.latest .utt-text").inner_text() == long_text
        partial = duplex.locator(".utt.partial")
        assert partial.inner_text().startswith("那你们到底什么时候")
        assert partial.locator(".speaker").count() == 0
        card = f'.call[data-call-id="{duplex_id}"]'
        customer = _style(page, f"{card} .utt.speaker-customer", "border-left-color", "margin-left")
        agent = _style(
            page, f"{card} .utt.speaker-agent", "border-left-color", "margin-left", "color", "font-weight"
        )
        latest = _style(page, f"{card} .utt.latest", "color", "font-weight")
        in_progress = _style(page, f"{card} .utt.partial", "color", "font-style")
        assert customer["border-left-color"] != agent["border-left-color"]
        assert _px(agent["margin-left"]) > _px(customer["margin-left"])  # agent lines are indented
        assert in_progress["font-style"] == "italic"
        assert in_progress["color"] not in (latest["color"], agent["color"])
        assert int(latest["font-weight"]) > int(agent["font-weight"])

        # Mono lines ("mixed" or no speaker at all) carry no label, as before, and keep their risk.
        assert mono.locator(".speaker").count() == 0
        assert mono.locator(".utt").all_inner_texts() == ["我的卡被吞了", "我要投诉你们网点", "卡号是多少"]
        assert [mono.locator(".utt").nth(i).get_attribute("data-speaker") for i in range(3)] == ["mixed"] * 3
        assert "risk-low" in (mono.locator(".utt").first.get_attribute("class") or "").split()
        page.screenshot(path=str(ARTIFACTS / "live-call-two-channel-zh.png"), full_page=True)

        page.click("#lang")
        page.wait_for_function(
            f"() => document.querySelector('{card} .speaker')?.textContent === 'Agent'",
            timeout=SHOW_WITHIN_MS,
        )
        assert duplex.locator(".utt .speaker").all_inner_texts() == ["Agent", "Customer", "Agent", "Customer"]
        assert mono.locator(".speaker").count() == 0

        # The wall layout (>= 1800 px): a larger transcript, long lines wrapped inside the card.
        normal = _px(_style(page, f"{card} .transcript", "font-size")["font-size"])
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_function(f"() => innerWidth === 1920 && document.querySelector('{card}')")
        wall = _px(_style(page, f"{card} .transcript", "font-size")["font-size"])
        assert wall >= normal * 1.25, f"wall transcript {wall}px, normal {normal}px"
        overflowing = page.evaluate(
            "(card) => [...document.querySelectorAll(`${card}, ${card} .utt`)]"
            ".filter((node) => node.scrollWidth > node.clientWidth + 1).map((node) => node.className)",
            card,
        )
        assert overflowing == []
        page.screenshot(path=str(ARTIFACTS / "live-call-two-channel-wall-en.png"), full_page=True)

        async def end_mono(store: LiveCallStore) -> None:
            await store.end_call(mono_id, ended_at=time.time(), reason="eof", audio_seconds=4.0)

        _with_store(dashboard_stack, end_mono)
        mono.wait_for(state="detached", timeout=SHOW_WITHIN_MS)
        assert errors == []
    finally:
        context.close()
