"""The review queue panel (待复核 / Review queue) in a real browser on the real stack: the least
sure complaints of the chosen dimension first, a tag picked and submitted through the labels
endpoint, and the item gone from the list; the regulator desk sees its forwarded ones only.

The complaints are stored straight into ClickHouse with known margins in the `cause` dimension,
which the session's model never decides (keyword rules do), so the queue holds only these.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from storage.clickhouse import COMPLAINT_COLUMNS, DriverExecutor, normalize_complaint
from tests.conftest import Pipeline
from tests.dashboard.conftest import wait_until
from tests.dashboard.test_dashboard_browser import Page

pytestmark = pytest.mark.services

#: (suffix, margin, text, regulator-forwarded): the order the queue must show is by margin.
ROWS = [
    ("sure", 0.62, "手续费的说明我看懂了，只是想确认一下", False),
    ("unsure", 0.03, "卡被扣了钱，客服态度也差，到底算哪一类？", False),
    ("forwarded", 0.19, "我已向12378反映：贷款利率和合同写的不一样", True),
    ("middle", 0.27, "The app crashed while my transfer was pending", False),
]


def _store(pipeline: Pipeline, marker: str) -> dict[str, str]:
    """Store the rows (received a minute ago) tagged `cause: fees_pricing` by the model."""
    received = datetime.now(UTC) - timedelta(minutes=1)
    ids, rows = {}, []
    for suffix, margin, text, forwarded in ROWS:
        ids[suffix] = f"{marker}-{suffix}"
        rows.append(
            normalize_complaint(
                {
                    "event_id": ids[suffix],
                    "received_at": received,
                    "channel": "regulator" if forwarded else "app",
                    "branch": marker,
                    "regulator_forwarded": forwarded,
                    "regulator_ref": f"12378-{marker}" if forwarded else "",
                    "text": f"{text} [{marker}]",
                    "tag_dimensions": ["cause"],
                    "tags": ["fees_pricing"],
                    "tag_confidences": [0.4 + margin / 2],
                    "tag_sources": ["model"],
                    "tag_margins": [margin],
                    "model_version": "test-review",
                }
            )
        )
    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    try:
        executor.insert(
            "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in rows]
        )
    finally:
        executor.close()
    return ids


def _archived(pipeline: Pipeline, complaint_id: str) -> list[tuple[Any, ...]]:
    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    try:
        return executor.execute(
            "SELECT dimension, tag, who FROM complaint_labels WHERE complaint_id = %(id)s",
            {"id": complaint_id},
        )
    finally:
        executor.close()


def _choose(page: Any, dimension: str) -> None:
    page.locator('[data-panel="review"] .review-dimension option[value="cause"]').wait_for(
        state="attached", timeout=15_000
    )
    page.select_option('[data-panel="review"] .review-dimension', dimension)


def _listed(page: Any, marker: str) -> list[str]:
    """The ids the panel lists now, in order (read at once: the list redraws on every poll)."""
    return page.evaluate(
        """(marker) => [...document.querySelectorAll('[data-panel="review"] .review-item')]
            .map((li) => li.dataset.complaintId).filter((id) => id.startsWith(marker + "-"))""",
        marker,
    )


def test_review_queue_lists_least_sure_first_and_a_label_removes_the_item(
    browser: Any, dashboard_stack: Pipeline
) -> None:
    marker = f"rv{secrets.token_hex(3)}"
    ids = _store(dashboard_stack, marker)
    view = Page(browser, dashboard_stack, role="monitor", width=1440, height=900)
    try:
        page = view.page
        panel = page.locator('[data-panel="review"]')
        assert panel.is_visible()
        assert panel.locator("h2 span").first.inner_text() == "待复核"
        _choose(page, "cause")
        expected = [ids["unsure"], ids["forwarded"], ids["middle"], ids["sure"]]
        wait_until(lambda: _listed(page, marker) == expected, 15, "the queue, least sure first")
        first = panel.locator(f'.review-item[data-complaint-id="{ids["unsure"]}"]')
        assert first.locator(".review-text").inner_text().startswith("卡被扣了钱")
        assert first.locator(".review-margin").inner_text() == "置信差 0.03"
        assert first.locator(".review-guess-tag").inner_text() == "定价收费"  # the taxonomy's name
        assert first.locator(".review-tag").input_value() == "fees_pricing"  # the model's tag, preselected
        view.shot("review-queue-zh")

        page.click("#lang")
        assert panel.locator("h2 span").first.inner_text() == "Review queue"
        assert first.locator(".review-submit").inner_text() == "Submit label"
        assert first.locator(".review-margin").inner_text() == "margin 0.03"
        assert first.locator(".review-guess-tag").inner_text() == "Fees and pricing"
        view.shot("review-queue-en")
        page.click("#lang")

        # The reviewer picks the correct tag and submits it: the item leaves the list at once.
        first.locator(".review-tag").select_option("service_attitude")
        first.locator(".review-submit").click()
        wait_until(lambda: _listed(page, marker) == expected[1:], 10, "the labelled item to leave the list")
        assert _archived(dashboard_stack, ids["unsure"]) == [("cause", "service_attitude", "王值班")]
        # And it stays gone: the API no longer lists it (the panel's next poll neither).
        queue = httpx.get(
            f"{dashboard_stack.url}/api/v1/review",
            params={"dimension": "cause", "limit": 500},
            headers=dashboard_stack.stack.auth(),
            timeout=10,
        )
        assert queue.status_code == 200
        listed = [i["complaint_id"] for i in queue.json()["items"] if i["complaint_id"].startswith(marker)]
        assert listed == expected[1:]
        page.reload()
        page.wait_for_selector('#status[data-state="connected"]', timeout=10_000)
        wait_until(lambda: _listed(page, marker) == expected[1:], 15, "the queue after a reload")
        assert page.locator('[data-panel="review"] .review-dimension').input_value() == "cause"  # remembered
        assert view.errors == []
    finally:
        view.close()

    # The regulator desk: the same queue, its forwarded complaint only.
    desk = Page(browser, dashboard_stack, role="regulator_desk", width=1280, height=800)
    try:
        page = desk.page
        _choose(page, "cause")
        wait_until(lambda: _listed(page, marker) == [ids["forwarded"]], 15, "the desk's queue")
        item = page.locator(f'.review-item[data-complaint-id="{ids["forwarded"]}"]')
        assert "监管转办" in item.locator(".review-meta").inner_text()
        item.locator(".review-submit").click()  # confirms the model's tag
        wait_until(lambda: _listed(page, marker) == [], 10, "the desk's labelled item to leave")
        assert _archived(dashboard_stack, ids["forwarded"]) == [("cause", "fees_pricing", "王值班")]
        desk.shot("review-queue-regulator-desk")
        assert desk.errors == []
    finally:
        desk.close()
