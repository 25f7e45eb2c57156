"""A headless Chromium (Debian's, driven by Playwright; never downloaded) and helpers for the dashboard."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage.call_live_state import LiveCallStore
from tests.conftest import CARD_BURST, CARD_TEXTS, ROOT, Pipeline

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots land here (gitignored): look at them after a run.
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is open,
    which would stop every later async test from starting its own."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("no chromium")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def dashboard_stack(pipeline: Pipeline) -> Pipeline:
    """The pipeline once its worker has applied the ClickHouse migrations (the stats need them)."""
    from storage.clickhouse import DriverExecutor, missing_migrations

    executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
    try:
        wait_until(lambda: not missing_migrations(executor), 60, "the worker's ClickHouse migrations")
    finally:
        executor.close()
    return pipeline


async def open_live_call(
    store: LiveCallStore, call_id: str, *, line: str, branch: str, started_at: float | None = None
) -> None:
    """Open a live 8 kHz call on ``line`` at ``branch`` as the websocket handler would."""
    await store.open_call(
        call_id,
        source="live",
        started_at=time.time() if started_at is None else started_at,
        sample_rate=8000,
        options={},
        metadata={"line": line, "branch": branch},
    )


def post_burst(pipeline: Pipeline, branch: str, n: int = CARD_BURST, **extra: Any) -> list[str]:
    """POST ``n`` card-arrival complaints for ``branch`` (crossing the e2e rule); returns their ids."""
    complaints = [
        {
            "id": f"{branch}-{i}",
            "text": CARD_TEXTS[i % len(CARD_TEXTS)],
            "channel": "app",
            "branch": branch,
            **extra,
        }
        for i in range(n)
    ]
    response = httpx.post(
        f"{pipeline.url}/api/v1/complaints/batch",
        json={"complaints": complaints},
        headers=pipeline.stack.auth(),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return [str(c["id"]) for c in complaints]


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")
