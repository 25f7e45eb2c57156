"""Regenerate the README's dashboard screenshot (docs/images/dashboard.png) from a running demo.

Why: the README shows what the dashboard looks like; this keeps that picture reproducible instead of
a hand-made capture that silently goes stale when the dashboard changes.

How: start the demo (``make demo`` or ``.venv/bin/hotline up --demo``), give the simulator a minute
or two to produce alerts, then, from the checkout's root::

    .venv/bin/python scripts/dashboard_screenshot.py [--lang en|zh] [--out docs/images/dashboard.png]

The script signs in with the local stack's API token (``HOTLINE_API_TOKEN`` if set, else the one
``hotline up`` generated in ``<state_dir>/secrets.env``), waits until the panels show data (the
alert feed, the volume chart with alert markers, hot topics, the regulator desk, compliance, model
accuracy, the review queue; live calls only if there are any), and saves a 1600x1000 screenshot.
The token is typed into a password field that is hidden once signed in: it never shows in the image.
It drives Debian's /usr/bin/chromium through Playwright (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DEFAULT_OUT = ROOT / "docs" / "images" / "dashboard.png"
VIEWPORT = {"width": 1600, "height": 1000}
#: The README stays readable when the image is this small or smaller.
MAX_BYTES = 600_000
#: Alerts the feed should list before the picture is worth taking.
MIN_ALERTS = 3
#: What the other panels show once the demo's data reached them.
PANEL_ROWS = [
    ("hot topics", '[data-panel="hot"] tbody tr'),
    ("model accuracy", '[data-panel="models"] tbody tr'),
    ("compliance gauges", '[data-panel="compliance"] .gauge-label'),
    ("regulator cases", '[data-panel="regulator"] .case-list li'),
    ("the review queue", '[data-panel="review"] .review-list li'),
]


def say(message: str) -> None:
    sys.stderr.write(f"[screenshot] {message}\n")


def api_token(settings: Settings) -> str:
    """The environment's token, else the local stack's (``hotline up`` writes it on first start)."""
    if settings.api_token is not None:
        return settings.api_token.get_secret_value()
    path = settings.state_dir / "secrets.env"
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name == "HOTLINE_API_TOKEN" and value:
                return value
    sys.exit(f"no API token: set HOTLINE_API_TOKEN or start the demo (it writes {path})")


def wait_for(what: str, predicate: Callable[[], bool], timeout_s: float, *, required: bool) -> bool:
    """Poll ``predicate`` until it holds; a required condition that never holds ends the script."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            say(f"ok: {what}")
            return True
        time.sleep(0.5)
    if required:
        sys.exit(f"timed out after {timeout_s:.0f} s waiting for {what} (is `hotline up --demo` running?)")
    say(f"not shown after {timeout_s:.0f} s (taking the picture anyway): {what}")
    return False


def count(page: Page, selector: str) -> int:
    return page.locator(selector).count()


def data_attr(page: Page, panel: str, name: str) -> int:
    value = page.get_attribute(f'[data-panel="{panel}"]', f"data-{name}")
    return int(value) if value and value.isdigit() else 0


def sign_in(browser: Browser, url: str, token: str, lang: str) -> Page:
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN" if lang == "zh" else "en-US", color_scheme="dark"
    )
    # The page keeps its language in localStorage: set it before the first script runs.
    context.add_init_script(f"localStorage.setItem('hotline-lang', '{lang}');")
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#token", token)
    page.fill("#operator", "Demo" if lang == "en" else "值班演示")
    page.click("#login-form button[type=submit]")
    try:
        page.wait_for_selector('#status[data-state="connected"]', timeout=15_000)
    except PlaywrightTimeoutError:
        state = page.get_attribute("#status", "data-state")
        sys.exit(f"the dashboard did not connect (status {state!r}): is the API up, is the token right?")
    return page


def wait_for_panels(page: Page, timeout_s: float, hours: int) -> None:
    """Wait until every panel the demo fills shows data (alerts take longest: a surge must build)."""
    wait_for(
        f"at least {MIN_ALERTS} alerts in the feed",
        lambda: count(page, ".alert-list li") >= MIN_ALERTS,
        timeout_s,
        required=True,
    )
    wait_for("the volume chart", lambda: data_attr(page, "volume", "total") > 0, 30, required=True)
    if hours != 6:  # the page's default range; a fresh demo fills only its last minutes
        points = data_attr(page, "volume", "points")
        page.click(f'[data-panel="volume"] [data-hours="{hours}"]')
        wait_for(
            f"the {hours} h range", lambda: data_attr(page, "volume", "points") != points, 15, required=False
        )
    # The chart polls every 10 s; its alert markers come with the next poll after the alerts.
    wait_for(
        "alert markers on the chart", lambda: data_attr(page, "volume", "markers") > 0, 30, required=False
    )
    for what, selector in PANEL_ROWS:
        wait_for(what, lambda selector=selector: count(page, selector) > 0, 30, required=False)
    # The demo simulates no phone calls: the panel says so unless something streams one.
    wait_for("live calls", lambda: count(page, '[data-panel="calls"] .call-list li') > 0, 5, required=False)
    page.wait_for_timeout(1500)  # let the last renders (and the chart's redraw) settle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = Settings()
    parser.add_argument("--url", default=settings.api_url, help="the API (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="image file (default: %(default)s)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="dashboard language")
    parser.add_argument("--hours", type=int, choices=(1, 6, 24), default=1, help="volume chart range")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for alerts (default 180)")
    args = parser.parse_args(argv)

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium")
    token = api_token(settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = sign_in(browser, args.url.rstrip("/"), token, args.lang)
            wait_for_panels(page, args.timeout, args.hours)
            jpeg = args.out.suffix.lower() in (".jpg", ".jpeg")
            page.screenshot(path=str(args.out), type="jpeg" if jpeg else "png", quality=85 if jpeg else None)
        finally:
            browser.close()
    size = args.out.stat().st_size
    say(f"saved {args.out} ({size // 1024} KB)")
    if size > MAX_BYTES:
        say(f"larger than {MAX_BYTES // 1000} KB: try --out with a .jpg name")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
