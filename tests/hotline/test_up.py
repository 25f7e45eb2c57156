"""`hotline up --demo` supervises two workers, the API and the simulator, and stops them all."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import BANKING77, ROOT, Stack, free_port

pytestmark = [pytest.mark.services, pytest.mark.local_services]


class Up:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            assert self.proc.poll() is None, "hotline up exited:\n" + "\n".join(self.lines[-40:])
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-40:]))

    def child_pids(self) -> dict[str, int]:
        return {
            m[1]: int(m[2])
            for line in self.lines
            if (m := re.search(r"\[up\] started (\w+) \(pid (\d+)\)", line))
        }


@contextmanager
def hotline_up(stack: Stack, tmp_path) -> Iterator[Up]:
    data = tmp_path / "small.csv"
    with BANKING77.open(encoding="utf-8") as source:
        data.write_text("".join(source.readline() for _ in range(1500)), encoding="utf-8")
    run = secrets.token_hex(3)
    env = {
        **stack.env,
        "HOTLINE_API_PORT": str(free_port()),
        "HOTLINE_TOPIC_PREFIX": f"up{run}",
        "HOTLINE_REDIS_KEY_PREFIX": f"hotline-test-up-{run}",
        "HOTLINE_WORKER_METRICS_PORT": str(free_port()),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "up", "--demo", "--rate", "20", "--data", str(data)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    up = Up(proc)
    try:
        yield up
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_up_demo_serves_then_ctrl_c_stops_every_child(stack: Stack, tmp_path) -> None:
    with hotline_up(stack, tmp_path) as up:
        url = up.wait_for(r"Hotline Monitor is running: (http://127\.0\.0\.1:\d+)", 120)[1]
        assert httpx.get(f"{url}/healthz").status_code == 200
        up.wait_for(r"^worker\s+\| .*Ready", 60)
        up.wait_for(r"^alerts\s+\| .*Ready", 60)
        metrics_url = up.wait_for(r"workers (http://\S+/metrics)", 5)[1]
        token = {"Authorization": f"Bearer {stack.token}"}
        assert httpx.get(metrics_url).status_code == 401
        assert "hotline_consumer_lag" in httpx.get(metrics_url, headers=token).text
        up.wait_for(r"^api\s+\| ", 5)
        up.wait_for(r"\[up\] started simulator", 10)
        pids = up.child_pids()
        assert set(pids) == {"worker", "alerts", "api", "simulator"}
        up.proc.send_signal(signal.SIGINT)
        assert up.proc.wait(60) == 0
        assert all(_gone(pid) for pid in pids.values()), pids


def test_up_stops_everything_when_a_child_dies(stack: Stack, tmp_path) -> None:
    with hotline_up(stack, tmp_path) as up:
        up.wait_for(r"Hotline Monitor is running", 120)
        pids = up.child_pids()
        os.kill(pids["worker"], signal.SIGKILL)
        assert up.proc.wait(60) == 1
        up.wait_for(r"worker exited", 1)
        assert all(_gone(pid) for pid in pids.values()), pids
