"""``hotline watch`` against the running API: shows the on-call feed and acknowledges from the terminal."""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import sys
import threading
import time

import pytest
import redis.asyncio as aioredis

from alerts import AlertViewer, ThresholdRule, build_threshold_alert
from hotline.watch import AlertBoard
from storage.alert_states import AlertStore
from tests.conftest import ROOT, Pipeline


def _alert(rule_id: str, severity: str) -> object:
    rule = ThresholdRule.model_validate(
        {"id": rule_id, "kind": "threshold", "title": f"Watched {rule_id}", "severity": severity,
         "dimension": "d", "tag": "a", "window_seconds": 60, "threshold": 1}
    )  # fmt: skip
    return build_threshold_alert(rule, group="tag=a", window_start=0, count=1, fired_at=time.time())


def test_board_numbers_alerts_and_finds_them() -> None:
    board = AlertBoard()
    a = _alert("w-a", "critical").to_ws_payload()  # type: ignore[attr-defined]  # _alert's object is an Alert
    line = board.take({"stream_id": "1-0", "event": "fired", "alert": a})
    assert "#1 CRITICAL fired: Watched w-a" in line and a["alert_id"] in line
    assert board.find("#1") == board.find("1") == board.find(a["alert_id"][:6]) == a["alert_id"]
    assert board.find("#2") is None
    acked = {**a, "status": "acknowledged", "acked_by": "li"}
    assert "acknowledged by li" in board.take({"stream_id": "2-0", "event": "acknowledged", "alert": acked})
    assert board.open_lines() == [f"#1 acknowledged critical: Watched w-a [{a['alert_id']}]"]
    assert AlertViewer("oncall").sees(a)


@pytest.mark.services
async def test_watch_shows_oncall_alerts_and_acknowledges_them(pipeline: Pipeline) -> None:
    """With an on-call token (as on-call managers have), ``--role oncall`` is the token's own audience."""
    oncall = pipeline.stack.role_token("oncall", "night-shift")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "watch", "--role", "oncall", "--who", "night-shift"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**pipeline.stack.env, "HOTLINE_API_TOKEN": oncall},
        cwd=ROOT,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [
            lines.put(line)
            for line in proc.stdout  # type: ignore[union-attr]  # stdout=PIPE: not None
        ],
        daemon=True,
    ).start()

    history: list[str] = []

    def wait_for(pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first line so far (or to come) matching ``pattern``: output order is not fixed."""
        deadline = time.monotonic() + timeout
        while True:
            for line in history:
                if match := re.search(pattern, line):
                    return match
            if time.monotonic() > deadline:
                raise AssertionError(f"no line matching {pattern!r} in {history}")
            try:
                history.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue

    s = pipeline.stack.settings
    client = aioredis.Redis.from_url(s.redis_url)
    try:
        wait_for(r"^connected as oncall")
        store = AlertStore(client, key_prefix=s.redis_key_prefix)
        run = f"{time.time_ns() % 10**9}"
        quiet = await store.raise_alert(
            _alert(f"w-warn-{run}", "warning")  # type: ignore[arg-type]  # _alert's object is an Alert
        )
        loud = await store.raise_alert(
            _alert(f"w-crit-{run}", "critical")  # type: ignore[arg-type]  # _alert's object is an Alert
        )
        assert quiet.alert and loud.alert
        match = wait_for(rf"#(\d+) CRITICAL fired: Watched w-crit-{run} .*\[{loud.alert.alert_id}\]")
        proc.stdin.write(f"ack #{match.group(1)} on it\n")  # type: ignore[union-attr]  # stdin=PIPE: not None
        proc.stdin.flush()  # type: ignore[union-attr]  # stdin=PIPE: not None
        wait_for(rf"ack {loud.alert.alert_id}: done")
        wait_for(rf"acknowledged by night-shift: Watched w-crit-{run}")
        stored = await store.get(loud.alert.alert_id)
        assert stored is not None and stored.status == "acknowledged" and stored.acked_by == "night-shift"
        proc.stdin.write("open\n")  # type: ignore[union-attr]  # stdin=PIPE: not None
        proc.stdin.flush()  # type: ignore[union-attr]  # stdin=PIPE: not None
        wait_for(rf"acknowledged critical: Watched w-crit-{run}")
        # The plain warning was never shown to on-call.
        await asyncio.sleep(0.5)
        while not lines.empty():
            history.append(lines.get_nowait())
        assert not [line for line in history if f"w-warn-{run}" in line]
        proc.stdin.write("quit\n")  # type: ignore[union-attr]  # stdin=PIPE: not None
        proc.stdin.flush()  # type: ignore[union-attr]  # stdin=PIPE: not None
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        await client.aclose()


@pytest.mark.services
def test_watch_asking_beyond_its_role_stops_with_the_reason(pipeline: Pipeline) -> None:
    desk = pipeline.stack.role_token("regulator_desk", "desk")
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "watch", "--role", "oncall"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**pipeline.stack.env, "HOTLINE_API_TOKEN": desk},
        cwd=ROOT,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "refused the feed: role 'regulator_desk' sees only the 'regulator_desk' alerts" in result.stderr
