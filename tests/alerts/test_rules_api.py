"""``GET/PUT /api/v1/rules`` against the running API and worker: validation, publishing, hot reload."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest
import websockets
import yaml

from tests.conftest import Pipeline

pytestmark = pytest.mark.services

YAML = {"Content-Type": "application/yaml"}


def _client(pipeline: Pipeline) -> httpx.Client:
    return httpx.Client(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10)


def test_get_returns_the_rules_in_force(pipeline: Pipeline) -> None:
    with _client(pipeline) as http:
        r = http.get("/api/v1/rules")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] in ("file", "api")
    assert "e2e-card-arrival" in {rule["id"] for rule in body["rules"]}
    assert "e2e-card-arrival" in body["yaml"]


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (
            "rules:\n  - {id: x, kind: threshold, title: t, severity: info, dimension: d, tag: a,"
            " window_seconds: 0, threshold: 1}\n",
            YAML,
            "rules[0] (x): window_seconds: must be > 0",
        ),
        ("rules: [{id: x, kind: weather}]", YAML, "rules[0] (x): kind: unknown kind 'weather'"),
        ("rules: [\n", YAML, "not valid YAML"),
        (
            json.dumps({"rules": [{"id": "Bad Id", "kind": "threshold"}]}),
            {"Content-Type": "application/json"},
            "rules[0] (Bad Id): id: must be a lowercase slug",
        ),
        ("{not json", {"Content-Type": "application/json"}, "not valid JSON"),
        # Never "no rules" by accident: that takes `rules: []`, said on purpose.
        ("", YAML, "the request has no rules document"),
        ("null\n", YAML, "the rules document must be a mapping"),
        ("{}\n", YAML, "the rules document must be a mapping"),
        ("null", {"Content-Type": "application/json"}, "the rules document must be a mapping"),
    ],
)
def test_bad_rules_are_refused_with_422_naming_the_problem(
    pipeline: Pipeline, body: str, headers: dict[str, str], problem: str
) -> None:
    with _client(pipeline) as http:
        before = http.get("/api/v1/rules").json()
        r = http.put("/api/v1/rules", content=body, headers=headers)
        assert r.status_code == 422, r.text
        assert any(p.startswith(problem) for p in r.json()["problems"]), r.json()
        assert r.json()["detail"]
        # Nothing was published.
        assert http.get("/api/v1/rules").json()["revision"] == before["revision"]


def test_other_media_types_and_missing_token_are_refused(pipeline: Pipeline) -> None:
    with _client(pipeline) as http:
        assert (
            http.put("/api/v1/rules", content=b"x", headers={"Content-Type": "image/png"}).status_code == 415
        )
    assert httpx.get(f"{pipeline.url}/api/v1/rules").status_code == 401
    assert httpx.put(f"{pipeline.url}/api/v1/rules", content="rules: []", headers=YAML).status_code == 401


async def test_published_rules_reach_the_worker_without_restart(pipeline: Pipeline) -> None:
    branch = f"hot-{secrets.token_hex(3)}"
    rule_id = f"hot-reload-{secrets.token_hex(3)}"
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=10) as http:
        original = (await http.get("/api/v1/rules")).json()
        document = yaml.safe_load(original["yaml"]) or {}
        document.setdefault("rules", []).append(
            {
                "id": rule_id,
                "kind": "threshold",
                "title": "Hot-reloaded rule",
                "severity": "warning",
                "dimension": "banking77",
                "tag": "*",
                "filters": {"branch": [branch]},
                "window_seconds": 86400,
                "threshold": 3,
            }
        )
        r = await http.put("/api/v1/rules", json=document)
        assert r.status_code == 200, r.text
        assert r.json()["source"] == "api" and r.json()["revision"] > (original["revision"] or 0)
        assert rule_id in {rule["id"] for rule in (await http.get("/api/v1/rules")).json()["rules"]}
        try:
            await asyncio.sleep(3 * pipeline.stack.settings.rules_reload_s + 0.5)  # the worker's reload tick
            ws_url = (
                f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?token={pipeline.stack.token}"
            )
            async with websockets.connect(ws_url) as ws:
                complaints = [
                    {"text": "My card has not arrived yet.", "channel": "web", "branch": branch}
                    for _ in range(3)
                ]
                r = await http.post("/api/v1/complaints/batch", json={"complaints": complaints})
                assert r.status_code == 202
                deadline = time.monotonic() + 30
                alert = None
                while alert is None:
                    message = json.loads(
                        await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
                    )
                    if message["alert"]["rule_id"] == rule_id:
                        alert = message["alert"]
                assert alert["count"] >= 3
        finally:
            restored = await http.put("/api/v1/rules", content=original["yaml"], headers=YAML)
            assert restored.status_code == 200
