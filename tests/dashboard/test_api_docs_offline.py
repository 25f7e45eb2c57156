"""``/docs`` renders with no network beyond the server itself (a bank's network has no CDN)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Pipeline

pytestmark = pytest.mark.services


def test_the_api_docs_render_offline(pipeline: Pipeline, browser: Any) -> None:
    own = urlsplit(pipeline.url).netloc
    elsewhere: list[str] = []
    page = browser.new_page()
    try:

        def only_this_server(route: Any) -> None:
            if urlsplit(route.request.url).netloc == own:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_server)
        page.goto(f"{pipeline.url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/complaints" in paths and "/api/v1/silences" in paths
        assert elsewhere == [], elsewhere
        assert page.locator(".information-container .title").inner_text().startswith("Hotline Monitor")
    finally:
        page.close()
