"""Finding a stack's processes from ``/proc``: workers by command line, services by listening port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from config.settings import Settings
from hotline.bench.stack_processes import cpu_seconds, find_processes, listening_pid, rss_mb, stack_processes
from tests.conftest import free_port

#: Stands in for ``hotline worker ...``: the argv words are what the search looks at.
SLEEPER = "import time; time.sleep(120)"


@pytest.fixture
def fake_workers() -> Iterator[tuple[Settings, list[subprocess.Popen[bytes]]]]:
    kafka_url = f"kafka://127.0.0.1:{free_port()}"
    env = {**os.environ, "HOTLINE_KAFKA_URL": kafka_url}
    procs = [
        subprocess.Popen([sys.executable, "-c", SLEEPER, "hotline", "worker", "--agents", agents], env=env)
        for agents in ("tagging", "alerts")
    ]
    # Same command line, another stack: must not be picked up.
    other = {**os.environ, "HOTLINE_KAFKA_URL": f"kafka://127.0.0.1:{free_port()}"}
    procs.append(subprocess.Popen([sys.executable, "-c", SLEEPER, "hotline", "worker"], env=other))
    time.sleep(0.5)
    try:
        yield Settings(kafka_url=kafka_url), procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_workers_of_this_stack_are_found_and_told_apart(
    fake_workers: tuple[Settings, list[subprocess.Popen[bytes]]],
) -> None:
    settings, procs = fake_workers
    assert [pid for pid, _ in find_processes("worker", settings)] == sorted(p.pid for p in procs[:2])
    labels = {p.label: p.pid for p in stack_processes(settings) if p.label.startswith("worker")}
    assert labels == {"worker tagging": procs[0].pid, "worker alerts": procs[1].pid}
    assert rss_mb(procs[0].pid) > 1.0
    assert cpu_seconds(procs[0].pid) >= 0.0


def test_listening_pid_finds_the_process_behind_a_port() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert listening_pid(server.getsockname()[1]) == os.getpid()
    assert listening_pid(free_port()) is None
    assert rss_mb(None) is None and cpu_seconds(2**22 + 7) is None
