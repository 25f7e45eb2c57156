"""A worker and an API of their own (own topics, Redis keys, rules, ports) for the outage tests.

The outage tests stop a service under a running pipeline, so they must not share the session's
pipeline: a stopped dependency would fail every later test that uses it. :func:`own_clickhouse` is
a ClickHouse server of the test's own for the same reason.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from hotline.local_services import clickhouse
from tests.conftest import ROOT, bootstrap_model, free_port

__all__ = [
    "CARD_ARRIVAL_TEXT",
    "IsolatedPipeline",
    "OwnClickHouse",
    "isolated_pipeline",
    "own_clickhouse",
    "threshold_rules",
]

#: How often :meth:`IsolatedPipeline.wait_for` looks again.
POLL_S = 0.25

#: A complaint the bootstrapped model tags ``card_arrival`` (the rules below count that tag).
CARD_ARRIVAL_TEXT = "I am still waiting on my card?"


def threshold_rules(branch: str, n: int) -> str:
    """A rule firing exactly when ``n`` card_arrival complaints of ``branch`` are counted, one above ``n``
    (which must never fire: it would mean a complaint was counted twice)."""
    rule = """
  - id: {id}
    kind: threshold
    title: {title}
    severity: warning
    dimension: banking77
    tag: card_arrival
    filters: {{branch: [{branch}]}}
    window_seconds: 86400
    threshold: {threshold}
"""
    return (
        "rules:"
        + rule.format(id="outage-exact", title="exactly N", branch=branch, threshold=n)
        + rule.format(id="outage-overcount", title="counted twice", branch=branch, threshold=n + 1)
    )


@dataclass
class IsolatedPipeline:
    env: dict[str, str]
    log_dir: Path
    url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", name],
            env=self.env,
            cwd=ROOT,
            stdout=self.log_path(name).open("ab"),
            stderr=subprocess.STDOUT,
        )
        self.procs[name] = proc
        return proc

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited ({proc.returncode}):\n{self.log(name)[-4000:]}"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['HOTLINE_API_TOKEN']}"}

    def wait_for(self, what: str, condition: Callable[[], object], timeout: float) -> None:
        """Poll ``condition`` until it is truthy; fail after ``timeout`` s or as soon as a process exits."""
        deadline = time.monotonic() + timeout
        while not condition():
            self.assert_running()
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(POLL_S)


@dataclass
class OwnClickHouse:
    """A clickhouse-server with its own data dir and ports, to stop and start under a pipeline."""

    state_dir: Path
    database: str
    tcp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"clickhouse://default:@127.0.0.1:{self.tcp_port}/{self.database}"

    def env(self) -> dict[str, str]:
        """The settings that point a pipeline at this server."""
        return {"HOTLINE_CLICKHOUSE_URL": self.url, "HOTLINE_CLICKHOUSE_HTTP_PORT": str(self.http_port)}

    def start(self) -> None:
        print(clickhouse.start(self.state_dir, self.tcp_port, self.http_port))

    def stop(self) -> None:
        print(clickhouse.stop(self.state_dir))


@contextmanager
def own_clickhouse(state_dir: Path, database: str, *, started: bool = True) -> Iterator[OwnClickHouse]:
    """A server of the test's own (started unless ``started`` is False), stopped at exit."""
    server = OwnClickHouse(state_dir, database)
    try:
        if started:
            server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def isolated_pipeline(
    base_env: dict[str, str], log_dir: Path, **overrides: str
) -> Iterator[IsolatedPipeline]:
    """Bootstrap a model, start a worker and an API; stop both and delete the Redis keys at exit."""
    run = secrets.token_hex(3)
    port = free_port()
    env = {
        **base_env,
        "HOTLINE_TOPIC_PREFIX": f"outage{run}",
        "HOTLINE_REDIS_KEY_PREFIX": f"hotline-test-outage-{run}",
        "HOTLINE_API_PORT": str(port),
        **overrides,
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    pipeline = IsolatedPipeline(env=env, log_dir=log_dir, url=f"http://127.0.0.1:{port}")
    try:
        bootstrap_model(env)
        pipeline.spawn("worker")
        pipeline.spawn("api")
        deadline = time.monotonic() + 60
        while True:
            pipeline.assert_running()
            try:
                if httpx.get(f"{pipeline.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"API did not start:\n{pipeline.log('api')[-3000:]}"
            time.sleep(0.2)
        yield pipeline
    finally:
        for proc in pipeline.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in pipeline.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        try:
            client = redis.Redis.from_url(env["HOTLINE_REDIS_URL"], socket_connect_timeout=2)
            keys = list(client.scan_iter(f"{env['HOTLINE_REDIS_KEY_PREFIX']}:*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass  # the Redis test's own server is gone already, and its keys with it
