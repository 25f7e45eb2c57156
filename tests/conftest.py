"""Fixtures for tests against the real local stack (Tansu, Redis, ClickHouse) and real processes.

The stack runs on free ports under a temporary state dir, with its own Redis key prefix and topic
prefix, so a demo running on the default ports (or another test run) is never disturbed.

``make test-external`` (``HOTLINE_TEST_EXTERNAL=1``) runs the same tests against the broker,
ClickHouse and Redis that ``HOTLINE_KAFKA_URL``, ``HOTLINE_CLICKHOUSE_URL`` and ``HOTLINE_REDIS_URL``
name (a database, topics and keys of the run's own on them); nothing is started, the broker's kind
is asked of the broker, and tests that start, stop or restart the local services are skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer

from config.settings import Settings
from tests.datasets import BANKING77

ROOT = Path(__file__).resolve().parent.parent

#: Rules the end-to-end tests rely on: one day windows, so a test's burst never straddles two.
E2E_RULES = """
rules:
  - id: e2e-card-arrival
    kind: threshold
    title: Card arrival burst (test)
    severity: warning
    dimension: banking77
    tag: card_arrival
    group_by: [branch]
    window_seconds: 86400
    threshold: 20
"""
#: Complaints that fire ``e2e-card-arrival`` for a branch (its threshold).
CARD_BURST = 20
#: Texts the bootstrapped model tags card_arrival (the tag ``e2e-card-arrival`` counts per branch).
CARD_TEXTS = (
    "I am still waiting on my card?",
    "What can I do if my card still hasn't arrived after 2 weeks?",
    "I have been waiting over a week. Is the card still coming?",
    "My card has not arrived yet.",
)
#: Alert rules of issue 5's tests: every forwarded complaint and call; test-sized deadlines on one
#: line only (so no other test's complaints start clocks); risky live calls.
E2E_RULES += """
  - id: e2e-regulator
    kind: regulator_forwarded
    title: Regulator-forwarded (test)
    severity: warning
  - id: e2e-deadlines
    kind: deadline
    title: Deadline (test)
    severity: critical
    filters: {line: [deadline-test]}
    first_response: 6s
    resolution: 40s
    decision: 60s
  - id: e2e-live-call
    kind: live_call
    title: Caller escalating (test)
    severity: critical
    min_risk_level: high
  - id: e2e-agent-phrase
    kind: agent_phrase
    title: Agent said a watched phrase (test)
    severity: warning
    phrases: ["금융감독원"]
    include_uploads: true
  - id: e2e-sliding
    kind: threshold
    title: Sliding burst (test)
    severity: info
    dimension: banking77
    tag: "*"
    filters: {line: [sliding-test]}
    group_by: [branch]
    window: sliding
    window_seconds: 86400
    hop_seconds: 43200
    threshold: 3
"""


#: ``make test-external``: the services the settings name, not the local stack.
EXTERNAL = os.environ.get("HOTLINE_TEST_EXTERNAL") == "1"
EXTERNAL_URLS = ("HOTLINE_KAFKA_URL", "HOTLINE_CLICKHOUSE_URL", "HOTLINE_REDIS_URL")
#: Markers of tests that stop or start services themselves: run on the local stack only.
LOCAL_ONLY_MARKERS = ("outage", "local_services")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not EXTERNAL:
        return
    skip = pytest.mark.skip(reason="starts, stops or restarts services itself: local stack only (make test)")
    for item in items:
        if any(item.get_closest_marker(marker) for marker in LOCAL_ONLY_MARKERS):
            item.add_marker(skip)


def _service_urls(run: str) -> dict[str, str]:
    """Where the run's broker, ClickHouse and Redis are: the local stack on free ports, or with
    ``make test-external`` the servers the environment names (the run's own database on them)."""
    if not EXTERNAL:
        return {
            "HOTLINE_KAFKA_URL": f"kafka://127.0.0.1:{free_port()}",
            "HOTLINE_REDIS_URL": os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "HOTLINE_CLICKHOUSE_URL": f"clickhouse://default:@127.0.0.1:{free_port()}/hotline_test_{run}",
            "HOTLINE_CLICKHOUSE_HTTP_PORT": str(free_port()),
        }
    missing = [name for name in EXTERNAL_URLS if not os.environ.get(name)]
    if missing:
        pytest.exit(f"make test-external needs {', '.join(missing)} (the servers to test against)", 2)
    server = os.environ["HOTLINE_CLICKHOUSE_URL"].rsplit("/", 1)[0]
    return {
        "HOTLINE_KAFKA_URL": os.environ["HOTLINE_KAFKA_URL"],
        "HOTLINE_REDIS_URL": os.environ["HOTLINE_REDIS_URL"],
        "HOTLINE_CLICKHOUSE_URL": f"{server}/hotline_test_{run}",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def separate_api(env: dict[str, str], *, start_timeout: float = 30.0) -> Iterator[str]:
    """An API process of its own with ``env`` (listening on ``HOTLINE_API_PORT``): its URL once
    ``/healthz`` answers; stopped afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "api"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{env['HOTLINE_API_PORT']}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "API did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


@asynccontextmanager
async def scratch_redis(url: str, name: str) -> AsyncIterator[tuple[aioredis.Redis, str]]:
    """A client on the Redis at ``url`` and a key prefix of its own (``test-<name>-<random>``): the
    Redis may be shared, so a test keeps to its prefix, whose keys are deleted afterwards."""
    client = aioredis.Redis.from_url(url)
    prefix = f"test-{name}-{uuid.uuid4().hex[:12]}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def hotline_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``hotline ARGS`` in a subprocess of the checkout, as a user runs it (``env``: the whole
    environment, default ours); its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def bootstrap_model(env: dict[str, str], data: str | None = None) -> None:
    """Publish a model from ``data`` (default: the bootstrap data) with ``env``'s settings."""
    # --no-select: the tests need a model, not the validation that picks its configuration.
    boot = hotline_cli("models", "bootstrap", data or env["HOTLINE_BOOTSTRAP_DATA"], "--no-select", env=env)
    assert boot.returncode == 0, boot.stderr


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """chdb binds one data path per process: every chdb executor of the run shares this one."""
    return str(tmp_path_factory.mktemp("chdb"))


#: Live-call tests wait for the idle timeout, so the test stack uses a short one.
ASR_IDLE_TIMEOUT_S = 4.0
#: Small enough that the upload limit can be tested without megabytes of audio.
ASR_MAX_UPLOAD_BYTES = 1_000_000
#: Few enough that a test can fill the worker.
ASR_MAX_CALLS = 4


def _asr_env(state: Path) -> dict[str, str]:
    """Speech recognition for the stack's worker: a dither-free view of the packaged model (repeatable
    text), loaded at the first call only (tests without calls don't pay for it), a short idle timeout."""
    env = {
        "HOTLINE_ASR_PRELOAD": "false",
        "HOTLINE_ASR_IDLE_TIMEOUT_S": str(ASR_IDLE_TIMEOUT_S),
        "HOTLINE_ASR_MAX_UPLOAD_BYTES": str(ASR_MAX_UPLOAD_BYTES),
        "HOTLINE_ASR_MAX_CALLS_PER_WORKER": str(ASR_MAX_CALLS),
    }
    from asr import default_model_path, make_model_view

    source = default_model_path()
    if source is not None:
        env["HOTLINE_ASR_MODEL_PATH"] = str(make_model_view(source, state / "asr-model"))
    return env


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    rules_path: Path

    @property
    def token(self) -> str:
        return self.env["HOTLINE_API_TOKEN"]

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def role_token(self, role: str, name: str | None = None) -> str:
        """A new API token of ``role``, stored as ``hotline tokens create`` stores it."""
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        import redis.asyncio as aioredis

        from storage.api_tokens import ApiTokenStore

        async def create() -> str:
            client = aioredis.Redis.from_url(self.settings.redis_url)
            try:
                store = ApiTokenStore(client, key_prefix=self.settings.redis_key_prefix)
                return (await store.create(name=name or f"test-{role}", role=role))[1]
            finally:
                await client.aclose()

        # A thread of its own: callers may be inside a running loop (async tests, Playwright).
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(create())).result()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Broker, Redis and ClickHouse started by the project's own `hotline services` code."""
    from hotline.local_stack import start_services, stop_services

    state = tmp_path_factory.mktemp("stack")
    run = secrets.token_hex(4)
    rules_path = state / "rules.yaml"
    rules_path.write_text(E2E_RULES)
    env = {
        "HOTLINE_STATE_DIR": str(state),
        **_service_urls(run),
        "HOTLINE_TOPIC_PREFIX": f"t{run}",
        "HOTLINE_REDIS_KEY_PREFIX": f"hotline-test-{run}",
        "HOTLINE_API_PORT": str(free_port()),
        "HOTLINE_WORKER_METRICS_PORT": str(free_port()),
        "HOTLINE_API_TOKEN": secrets.token_urlsafe(24),
        "HOTLINE_MODEL_SIGNING_KEY": secrets.token_urlsafe(24),
        "HOTLINE_PII_HASH_KEY": secrets.token_urlsafe(24),
        "HOTLINE_RULES_PATH": str(rules_path),
        "HOTLINE_RULES_RELOAD_S": "1",
        "HOTLINE_BOOTSTRAP_DATA": str(BANKING77),
        **_asr_env(state),
    }
    settings = settings_from_env(env)
    for line in [] if EXTERNAL else start_services(settings):
        print(line)
    try:
        yield Stack(settings=settings, env={**os.environ, **env}, rules_path=rules_path)
    finally:
        client = redis.Redis.from_url(settings.redis_url)
        keys = list(client.scan_iter(f"{settings.redis_key_prefix}:*"))
        if keys:
            client.delete(*keys)
        for line in [] if EXTERNAL else stop_services(settings):
            print(line)


def _spawn(stack: Stack, name: str, *args: str) -> subprocess.Popen[bytes]:
    log_path = stack.settings.state_dir / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", *args],
        env=stack.env,
        cwd=ROOT,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Pipeline:
    stack: Stack
    worker: subprocess.Popen[bytes]
    api: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return self.stack.settings.api_url

    def log(self, name: str) -> str:
        return (self.stack.settings.state_dir / "logs" / f"{name}.log").read_text(errors="replace")


def run_bench(pipeline: Pipeline, *args: str, timeout: float) -> tuple[dict[str, Any], str]:
    """``hotline bench ARGS`` against the test stack: its JSON result (the last line it prints) and
    its stderr (the progress lines)."""
    out = hotline_cli("bench", *args, env=pipeline.stack.env, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def settings_from_env(env: dict[str, str]) -> Settings:
    """The settings a process started with ``env`` would read (its ``HOTLINE_*`` variables)."""
    prefix = "HOTLINE_"
    return Settings(**{k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)})


#: Topics the worker declares (with ``topic_partitions``) before it consumes.
WORKER_TOPICS = ("complaints.in", "window.increments", "tickets")


def worker_topics_declared(settings: Settings) -> bool:
    """Whether the worker has created its topics: a test producing earlier would make the broker
    auto-create them with its own partition count (Tansu: 4), which a table then refuses."""

    async def listed() -> set[str]:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        await consumer.start()
        try:
            return await consumer.topics()  # metadata for all topics: creates none
        finally:
            await consumer.stop()

    return {settings.topic(name) for name in WORKER_TOPICS} <= asyncio.run(listed())


@pytest.fixture(scope="session")
def pipeline(stack: Stack) -> Iterator[Pipeline]:
    """A bootstrapped model, one worker and the API, as `hotline up` runs them."""
    bootstrap_model(stack.env, str(BANKING77))
    worker = _spawn(stack, "worker", "worker")
    api = _spawn(stack, "api", "api")
    running = Pipeline(stack, worker, api)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert worker.poll() is None, f"worker died:\n{running.log('worker')[-3000:]}"
            assert api.poll() is None, f"api died:\n{running.log('api')[-3000:]}"
            try:
                healthy = httpx.get(f"{running.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if healthy and worker_topics_declared(stack.settings):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"API not healthy or worker topics missing after 60 s:\n{running.log('api')[-3000:]}")
        yield running
    finally:
        _stop(api)
        _stop(worker)
