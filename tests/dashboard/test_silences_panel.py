"""The silences panel (静默 / Silences) in a real browser on the real stack: a silence set through
the form shows with its matcher chips, reason and who set it, the End button ends it (it stays
listed, dimmed); an alert's "Silence" button pre-fills the form; the API's problem detail shows next
to the form; the regulator desk sees the list but can neither set nor end a silence.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import Pipeline
from tests.dashboard.conftest import wait_until
from tests.dashboard.test_dashboard_browser import Page

pytestmark = pytest.mark.services

PANEL = '[data-panel="silences"]'
ADMIN = "admin (HOTLINE_API_TOKEN)"  # the name the API records for the environment's admin token


def _item(page: Any, silence_id: str) -> Any:
    return page.locator(f'{PANEL} .silence[data-silence-id="{silence_id}"]')


def _silences(pipeline: Pipeline) -> list[dict[str, Any]]:
    response = httpx.get(f"{pipeline.url}/api/v1/silences", headers=pipeline.stack.auth(), timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json()["silences"])


def _ours(pipeline: Pipeline, rule_id: str) -> list[dict[str, Any]]:
    return [s for s in _silences(pipeline) if s["matchers"].get("rule_id") == rule_id]


def _raise_alert(pipeline: Pipeline, rule_id: str, branch: str, channel: str) -> None:
    """An alert of ``rule_id`` for one branch and channel, raised through the alert store (as the
    worker raises them), in a thread of its own (Playwright's sync API runs a loop in this one)."""
    import redis.asyncio as aioredis

    from alerts.groups import encode_group
    from alerts.rules import ThresholdRule
    from alerts.threshold import build_threshold_alert
    from storage.alert_states import AlertStore

    settings = pipeline.stack.settings

    async def run() -> None:
        client = aioredis.Redis.from_url(settings.redis_url)
        store = AlertStore(client, key_prefix=settings.redis_key_prefix, maxlen=10_000, ttl_s=3600)
        try:
            rule = ThresholdRule(
                id=rule_id,
                kind="threshold",
                title=f"Silence UI test {rule_id}",
                severity="warning",
                dimension="banking77",
                tag="card_arrival",
                group_by=["branch", "channel"],
                window_seconds=60,
                threshold=20,
            )
            now = time.time()
            group = encode_group("card_arrival", [("branch", branch), ("channel", channel)])
            alert = build_threshold_alert(
                rule, group=group, window_start=int(now) // 60 * 60, count=25, fired_at=now
            )
            await store.raise_alert(alert)
        finally:
            await client.aclose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_set_and_end_a_silence_from_the_dashboard(browser: Any, dashboard_stack: Pipeline) -> None:
    marker = secrets.token_hex(3)
    rule_id = f"ui-test-{marker}"
    branch = f"sh-{marker}"
    view = Page(browser, dashboard_stack, role="admin", width=1440, height=900)
    try:
        page = view.page
        panel = page.locator(PANEL)
        form = panel.locator(".silence-form")
        assert panel.is_visible() and form.is_visible()
        assert panel.locator("h2 span").first.inner_text() == "静默"
        page.click("#lang")
        assert panel.locator("h2 span").first.inner_text() == "Silences"
        assert form.locator("legend").inner_text() == "New silence"
        assert form.locator("button[type=submit]").inner_text() == "Set silence"
        assert form.locator('select[name="duration"] option').all_inner_texts() == [
            "30 min",
            "1 h",
            "4 h",
            "1 day",
        ]

        # No matcher at all: said next to the form, in the page's language (and nothing is sent).
        form.locator("button[type=submit]").click()
        assert form.locator(".silence-error").inner_text().startswith("Give at least one matcher")

        # The alert's "Silence" button pre-fills the form with its rule, branch and channel.
        _raise_alert(dashboard_stack, rule_id, branch, "app")
        alert = page.locator(".alert-list li", has_text=rule_id).first
        alert.wait_for(timeout=15_000)
        alert.locator("button.alert-silence").click()
        assert form.locator('[name="rule_id"]').input_value() == rule_id
        assert form.locator('[name="branch"]').input_value() == branch
        assert form.locator('[name="channel"]').input_value() == "app"
        assert page.evaluate("document.activeElement.name") == "reason"

        # No reason: said next to the form (and nothing is sent).
        form.locator('[name="channel"]').fill("")
        form.locator('[name="severity"]').select_option("warning")
        form.locator("button[type=submit]").click()
        assert form.locator(".silence-error").inner_text() == "Give a reason"
        assert _ours(dashboard_stack, rule_id) == []

        # The API's refusal (its problem detail) shows next to the form too.
        def refuse(route: Any) -> None:
            if route.request.method != "POST":
                route.continue_()
                return
            route.fulfill(
                status=503,
                content_type="application/problem+json",
                body='{"type": "about:blank", "title": "Service Unavailable", "status": 503,'
                ' "detail": "Redis is unavailable; retry shortly"}',
            )

        page.route("**/api/v1/silences", refuse)
        form.locator('[name="reason"]').fill("known card outage, ticket INC-42")
        form.locator("button[type=submit]").click()
        error = form.locator(".silence-error")
        wait_until(lambda: "Redis is unavailable" in error.inner_text(), 5, "the API's detail")
        assert error.inner_text().startswith("Could not set the silence")
        page.unroute("**/api/v1/silences")

        # Set it for real.
        form.locator("button[type=submit]").click()
        ours = wait_until(lambda: _ours(dashboard_stack, rule_id), 10, "the silence stored")
        assert len(ours) == 1 and ours[0]["state"] == "active"
        silence = ours[0]
        assert silence["matchers"] == {"rule_id": rule_id, "branch": branch, "severity": "warning"}
        assert silence["created_by"] == ADMIN
        assert 3590 <= silence["ends_at"] - silence["starts_at"] <= 3610  # the default: 1 h
        item = _item(page, silence["id"])
        item.wait_for(timeout=10_000)
        assert form.locator(".silence-done").inner_text() == "Silence set"
        assert form.locator(".silence-error").is_hidden()
        assert form.locator('[name="rule_id"]').input_value() == ""  # the form is cleared
        assert item.locator(".chip").all_inner_texts() == [
            f"rule: {rule_id}",
            f"branch: {branch}",
            "severity: warning",
        ]
        assert item.locator(".silence-reason").inner_text() == "known card outage, ticket INC-42"
        assert item.locator(".silence-by").inner_text() == f"set by {ADMIN}"
        assert item.locator(".silence-state").inner_text() == "Active"
        assert item.locator(".silence-until").inner_text().startswith("until ")
        assert item.locator(".silence-left").inner_text() in {"ends in 1 h", "ends in 59 min"}
        assert item.get_attribute("data-state") == "active"
        view.shot("silences-active-en")

        # Chinese labels.
        page.click("#lang")
        assert panel.locator("h2 span").first.inner_text() == "静默"
        assert form.locator("legend").inner_text() == "新建静默"
        assert form.locator("button[type=submit]").inner_text() == "设置静默"
        assert item.locator(".chip").all_inner_texts() == [
            f"规则：{rule_id}",
            f"网点：{branch}",
            "级别：警告",
        ]
        assert item.locator(".silence-state").inner_text() == "生效中"
        assert item.locator(".silence-by").inner_text() == f"设置人 {ADMIN}"
        assert item.locator(".silence-left").inner_text().endswith("后结束")
        assert item.locator("button.silence-end").inner_text() == "结束"
        assert page.locator(".alert-list li button.alert-silence").first.inner_text() == "静默"
        view.shot("silences-active-zh")

        # End it: it stays listed, expired and dimmed, without an End button.
        item.locator("button.silence-end").click()
        expired = f'{PANEL} .silence.st-expired[data-silence-id="{silence["id"]}"]'
        page.locator(expired).wait_for(timeout=10_000)
        assert item.locator(".silence-state").inner_text() == "已结束"
        assert item.locator("button.silence-end").count() == 0
        assert item.locator(".silence-ended-by").inner_text() == f"结束人 {ADMIN}"
        assert item.locator(".silence-until").inner_text().startswith("已于 ")
        assert float(item.evaluate("(node) => getComputedStyle(node).opacity")) < 1
        ended = _ours(dashboard_stack, rule_id)[0]
        assert ended["state"] == "expired" and ended["expired_by"] == ADMIN
        view.shot("silences-expired-zh")
        # The browser logs the refused request itself (the 503 above): nothing else.
        assert [e for e in view.errors if "503" not in e] == []
    finally:
        view.close()


def test_regulator_desk_sees_silences_but_sets_and_ends_none(browser: Any, dashboard_stack: Pipeline) -> None:
    rule_id = f"ui-test-{secrets.token_hex(3)}"
    response = httpx.post(
        f"{dashboard_stack.url}/api/v1/silences",
        json={
            "matchers": {"rule_id": rule_id, "channel": "regulator"},
            "duration_s": 1800,
            "reason": "监管演练",
        },
        headers=dashboard_stack.stack.auth(),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    silence = response.json()
    desk = Page(browser, dashboard_stack, role="regulator_desk", width=1440, height=900)
    refused: list[str] = []
    desk.page.on("response", lambda r: r.status == 403 and refused.append(r.url))
    try:
        page = desk.page
        panel = page.locator(PANEL)
        assert panel.is_visible()
        item = _item(page, silence["id"])
        item.wait_for(timeout=10_000)
        assert item.locator(".chip").all_inner_texts() == [f"规则：{rule_id}", "渠道：regulator"]
        assert item.locator(".silence-reason").inner_text() == "监管演练"
        assert item.locator(".silence-state").inner_text() == "生效中"
        assert panel.locator(".silence-form").is_hidden()
        assert panel.locator("button.silence-end").count() == 0
        assert page.locator(".alert-list button.alert-silence").count() == 0
        page.click("#lang")
        assert panel.locator("h2 span").first.inner_text() == "Silences"
        assert item.locator(".chip").all_inner_texts() == [f"rule: {rule_id}", "channel: regulator"]
        desk.shot("silences-regulator-desk-en")
        assert refused == [] and desk.errors == []
    finally:
        desk.close()
        httpx.delete(
            f"{dashboard_stack.url}/api/v1/silences/{silence['id']}",
            headers=dashboard_stack.stack.auth(),
            timeout=10,
        )
