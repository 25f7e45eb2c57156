"""kill -9 of a worker in the middle of a stream: nothing lost, nothing stored or counted twice."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis

from hotline.local_services import tansu
from storage.alert_stream import AlertStream
from storage.clickhouse import DriverExecutor, apply_migrations, count_complaints
from tests.conftest import ROOT, Stack, bootstrap_model, free_port, settings_from_env, worker_topics_declared

pytestmark = [pytest.mark.services, pytest.mark.local_services]

N = 1200
RATE = 300  # complaints/s: the stream lasts ~4 s, the kill lands in the middle
TEXT = "I am still waiting on my card?"


def _rules(branch: str) -> str:
    return f"""
rules:
  - id: crash-exact
    kind: threshold
    title: exactly N
    severity: warning
    dimension: banking77
    tag: card_arrival
    filters: {{branch: [{branch}]}}
    window_seconds: 86400
    threshold: {N}
  - id: crash-overcount
    kind: threshold
    title: more than N means something was counted twice
    severity: warning
    dimension: banking77
    tag: card_arrival
    filters: {{branch: [{branch}]}}
    window_seconds: 86400
    threshold: {N + 1}
"""


def _spawn(env: dict[str, str], name: str, log_dir) -> subprocess.Popen[bytes]:
    log = log_dir / f"{name}-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", name],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log  # type: ignore[attr-defined]  # log path stashed on the Popen for _state()
    return proc


def _state(worker: subprocess.Popen[bytes]) -> str:
    """What a failed wait needs to be diagnosed: whether the worker lives, and its last log lines;
    a live worker first logs every task's stack (SIGUSR1, ``streams/task_dump.py``): where it waits."""
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGUSR1)
        time.sleep(2)
    status = "running" if worker.poll() is None else f"exited {worker.returncode}"
    text = worker.log_path.read_text(errors="replace")  # type: ignore[attr-defined]  # _spawn() sets log_path
    dump = text.rfind("SIGUSR1:")
    tail = text[dump:] if dump >= 0 else "\n".join(text.splitlines()[-40:])
    return (
        f"worker ({status}), log from {worker.log_path}:\n"  # type: ignore[attr-defined]  # set by _spawn()
        f"{tail}"
    )


def test_kill_9_mid_stream_loses_and_repeats_nothing(stack: Stack, tmp_path) -> None:
    run = secrets.token_hex(3)
    branch = f"crash-{run}"
    rules = tmp_path / "rules.yaml"
    rules.write_text(_rules(branch))
    port = free_port()
    # A broker of its own: the session's Tansu (memory-only) gets slower the more the suite's
    # earlier tests put on it, and this test is about a worker's restart, not about that broker.
    broker_state, broker_port = tmp_path / "tansu", free_port()
    print(tansu.start(broker_state, "127.0.0.1", broker_port))
    env = {
        **stack.env,
        "HOTLINE_KAFKA_URL": f"kafka://127.0.0.1:{broker_port}",
        "HOTLINE_TOPIC_PREFIX": f"crash{run}",
        "HOTLINE_REDIS_KEY_PREFIX": f"hotline-test-crash-{run}",
        "HOTLINE_RULES_PATH": str(rules),
        "HOTLINE_API_PORT": str(port),
        "HOTLINE_WORKER_METRICS_PORT": str(free_port()),  # the session's worker serves the stack's
    }
    bootstrap_model(env)
    log_dir = Path(os.environ.get("HOTLINE_TEST_LOG_DIR", str(tmp_path)))
    log_dir.mkdir(parents=True, exist_ok=True)
    worker = _spawn(env, "worker", log_dir)
    api = _spawn(env, "api", log_dir)
    procs = [worker, api]
    executor = DriverExecutor.from_url(stack.settings.clickhouse_url)
    apply_migrations(executor)  # the worker applies them too; counting may start first
    ids = [f"{branch}-{i}" for i in range(N)]
    # Producing before the worker declared its topics would let the broker create them its own way.
    worker_settings = settings_from_env(env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200 and worker_topics_declared(
                    worker_settings
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"API or worker did not start\n{_state(worker)}"
            time.sleep(0.2)

        # Wait until the worker stores complaints, so the kill lands mid-stream and not mid-start-up.
        warmup = f"{branch}-warmup"
        response = httpx.post(
            f"{url}/api/v1/complaints",
            headers=stack.auth(),
            json={"id": warmup, "text": "hello", "channel": "web", "branch": f"w{run}"},
        )
        assert response.status_code == 202
        deadline = time.monotonic() + 60
        while count_complaints(executor, [warmup]) < 1:
            assert time.monotonic() < deadline, "the worker stored nothing"
            time.sleep(0.1)

        def send() -> None:
            with httpx.Client(base_url=url, headers=stack.auth(), timeout=30) as client:
                started = time.monotonic()
                for first in range(0, N, 20):
                    chunk = [
                        {"id": i, "text": TEXT, "channel": "app", "branch": branch}
                        for i in ids[first : first + 20]
                    ]
                    response = client.post("/api/v1/complaints/batch", json={"complaints": chunk})
                    assert response.status_code == 202, response.text
                    time.sleep(max(0.0, started + (first + 20) / RATE - time.monotonic()))

        sender = threading.Thread(target=send)
        sender.start()
        # Kill once some, not all, complaints are stored: in the middle of the stream.
        deadline = time.monotonic() + 60
        while not N // 5 <= count_complaints(executor, ids) < N * 3 // 4:
            assert time.monotonic() < deadline, "no moment with part of the stream stored"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stored_at_kill = count_complaints(executor, ids)
        restarted = _spawn(env, "worker", log_dir)
        procs.append(restarted)
        sender.join(60)
        assert not sender.is_alive()

        deadline = time.monotonic() + 180  # generous: a loaded CI machine restarts workers slowly
        while count_complaints(executor, ids) < N:
            assert time.monotonic() < deadline, (
                f"only {count_complaints(executor, ids)} of {N} rows after restart\n{_state(restarted)}"
            )
            time.sleep(0.25)
        time.sleep(3)  # redelivered duplicates, if any, would have landed by now
        assert count_complaints(executor, ids) == N
        assert stored_at_kill < N

        alerts = AlertStream(
            redis.asyncio.Redis.from_url(stack.settings.redis_url), key_prefix=env["HOTLINE_REDIS_KEY_PREFIX"]
        )

        # The rows are in; the window counts follow them (each flush acks its increments), so wait
        # for the alert instead of guessing how long a loaded machine takes, then for any duplicate.
        async def settled_alerts() -> list[tuple[str, dict]]:
            deadline = time.monotonic() + 60
            while not await alerts.latest(1):
                assert time.monotonic() < deadline, "no alert within 60 s of the rows being stored"
                await asyncio.sleep(0.25)
            await asyncio.sleep(3)
            return await alerts.latest(100)

        fired = [alert for _, alert in asyncio.run(settled_alerts())]
        assert [a["rule_id"] for a in fired] == ["crash-exact"], fired
        assert fired[0]["count"] == N
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        client = redis.Redis.from_url(stack.settings.redis_url)
        keys = list(client.scan_iter(f"{env['HOTLINE_REDIS_KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
        print(tansu.stop(broker_state))
