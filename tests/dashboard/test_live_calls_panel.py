"""The live-calls panel in a real browser: calls, their running transcript and risk arrive by push
(``WS /ws/live-calls``), with no polling of the calls endpoints."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis.asyncio as aioredis

from storage.call_live_state import LiveCallStore
from tests.conftest import Pipeline
from tests.dashboard.conftest import ARTIFACTS

pytestmark = pytest.mark.services

#: Pushed changes show well within this (the panel redraws every 150 ms).
SHOW_WITHIN_MS = 5_000


def _utterance(index: int, text: str, risk: float, level: str) -> dict[str, Any]:
    return {
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
            await store.open_call(
                call_id,
                source="live",
                started_at=time.time(),
                sample_rate=8000,
                options={},
                metadata={"line": line, "branch": "push"},
            )
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
