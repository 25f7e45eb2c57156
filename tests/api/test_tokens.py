"""Role tokens: created by the CLI, stored hashed, admitted only where their role may go."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest
import redis

from tests.conftest import ROOT, Pipeline, Stack, free_port, separate_api

pytestmark = pytest.mark.services

VALID = {"text": "My card was charged twice.", "channel": "web"}


def _hotline(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _create(stack: Stack, name: str, role: str) -> tuple[str, str]:
    result = _hotline(stack, "tokens", "create", "--name", name, "--role", role)
    assert result.returncode == 0, result.stderr
    token_id = re.search(r"created token (\w+)", result.stdout)[1]
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith(f"hl_{token_id}_")
    return token_id, token


def test_tokens_are_stored_hashed_and_listed_without_the_secret(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    token_id, token = _create(stack, "wechat-gateway", "ingest")
    listed = _hotline(stack, "tokens", "list")
    assert token_id in listed.stdout and "ingest" in listed.stdout and "wechat-gateway" in listed.stdout
    assert token not in listed.stdout
    client = redis.Redis.from_url(stack.settings.redis_url)
    for key in client.scan_iter(f"{stack.settings.redis_key_prefix}:tokens:*"):
        kind = client.type(key)
        values = (
            [client.get(key)]
            if kind == b"string"
            else list(client.hgetall(key).values())
            if kind == b"hash"
            else []
        )
        assert all(token.encode() not in (v or b"") for v in values)
        assert token.encode() not in key


def test_unknown_role_is_refused_by_the_cli(stack: Stack) -> None:
    result = _hotline(stack, "tokens", "create", "--name", "x", "--role", "superuser")
    assert result.returncode == 2  # typer's own check of the choices
    assert "Invalid value for '--role'" in result.stderr and "'superuser' is not one of" in result.stderr


def test_ingest_token_ingests_but_a_monitor_token_may_not(pipeline: Pipeline) -> None:
    _, ingest = _create(pipeline.stack, "app-backend", "ingest")
    _, monitor = _create(pipeline.stack, "wall-screen", "monitor")
    url = f"{pipeline.url}/api/v1/complaints"
    assert httpx.post(url, json=VALID, headers={"Authorization": f"Bearer {ingest}"}).status_code == 202
    denied = httpx.post(url, json=VALID, headers={"Authorization": f"Bearer {monitor}"})
    assert denied.status_code == 403
    assert "monitor" in denied.json()["detail"]


def test_revoked_token_is_refused(pipeline: Pipeline) -> None:
    token_id, token = _create(pipeline.stack, "old-connector", "ingest")
    assert _hotline(pipeline.stack, "tokens", "revoke", token_id).returncode == 0
    response = httpx.post(
        f"{pipeline.url}/api/v1/complaints", json=VALID, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert _hotline(pipeline.stack, "tokens", "revoke", token_id).returncode == 1


def test_ingest_over_the_rate_limit_gets_429_and_accepts_nothing(stack: Stack, tmp_path) -> None:
    port = free_port()
    env = {**stack.env, "HOTLINE_API_PORT": str(port), "HOTLINE_INGEST_RATE_LIMIT_PER_S": "30"}
    with separate_api(env) as api_url:
        body = {"complaints": [VALID] * 25}
        url = f"{api_url}/api/v1/complaints/batch"
        codes = [httpx.post(url, json=body, headers=stack.auth(), timeout=10).status_code for _ in range(4)]
        assert 429 in codes, codes
        refused = httpx.post(url, json=body, headers=stack.auth(), timeout=10)
        if refused.status_code == 429:
            assert refused.headers["Retry-After"] == "1"
            assert "limit" in refused.json()["detail"]
