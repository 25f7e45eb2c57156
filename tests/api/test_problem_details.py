"""One error shape (RFC 9457), a request id on every response and API log line, and the API's own
metrics on /metrics, against the running API."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from websockets.sync.client import connect

from api.errors import PROBLEM_JSON, install_error_handlers
from api.request_ids import install_request_ids
from hotline.bench.asr_speech import wav_bytes
from tests.conftest import Pipeline

PROBLEM_KEYS = {"type", "title", "status", "detail", "request_id"}


def _errors(pipeline: Pipeline) -> dict[str, httpx.Response]:
    """One response of each kind of failure."""
    auth = pipeline.stack.auth()
    with httpx.Client(base_url=pipeline.url, timeout=10) as http:
        return {
            "401 no token": http.get("/api/v1/alerts"),
            "403 wrong role": http.post(
                "/api/v1/complaints",
                json={"text": "x", "channel": "web"},
                headers={"Authorization": f"Bearer {pipeline.stack.role_token('oncall', 'problem-oncall')}"},
            ),
            "404 unknown path": http.get("/api/v1/nothing-here", headers=auth),
            "405 wrong method": http.delete("/api/v1/complaints", headers=auth),
            "413 too large": http.post(
                "/api/v1/complaints",
                content=b"x" * (pipeline.stack.settings.max_body_bytes + 1),
                headers=auth,
            ),
            "422 bad field": http.post("/api/v1/complaints", json={"channel": "web"}, headers=auth),
        }


@pytest.mark.services
def test_every_error_is_a_problem_document_with_the_request_id(pipeline: Pipeline) -> None:
    for name, response in _errors(pipeline).items():
        expected = int(name.split()[0])
        assert response.status_code == expected, (name, response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON, name
        body = response.json()
        assert body.keys() >= PROBLEM_KEYS, (name, body)
        assert body["status"] == expected and body["type"] == "about:blank", (name, body)
        assert body["title"] and isinstance(body["detail"], str) and body["detail"], (name, body)
        assert body["request_id"] == response.headers["x-request-id"], (name, body)


@pytest.mark.services
def test_a_405_lists_every_method_of_the_path(pipeline: Pipeline) -> None:
    for path, allowed in (("/api/v1/rules", "GET, PUT"), ("/api/v1/silences", "GET, POST")):
        response = httpx.request(
            "OPTIONS", f"{pipeline.url}{path}", headers=pipeline.stack.auth(), timeout=10
        )
        assert response.status_code == 405 and response.headers["allow"] == allowed, path


@pytest.mark.services
def test_a_422_names_the_field_and_lists_every_failure(pipeline: Pipeline) -> None:
    body = _errors(pipeline)["422 bad field"].json()
    assert body["field"] == "text"
    assert body["detail"].startswith("text: ")
    assert [e["field"] for e in body["errors"]] == ["text"]
    assert body["errors"][0]["loc"] == ["body", "text"]


@pytest.mark.services
def test_a_sane_request_id_is_kept_and_a_hostile_one_replaced(pipeline: Pipeline) -> None:
    kept = httpx.get(f"{pipeline.url}/healthz", headers={"X-Request-ID": "gw-42.a:b"}, timeout=10)
    assert kept.headers["x-request-id"] == "gw-42.a:b"
    replaced = httpx.get(f"{pipeline.url}/healthz", headers={"X-Request-ID": "x" * 200}, timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    fresh = httpx.get(f"{pipeline.url}/healthz", timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert fresh.headers["x-request-id"] != replaced.headers["x-request-id"]


@pytest.mark.services
def test_a_log_line_written_for_a_request_carries_its_id(pipeline: Pipeline) -> None:
    request_id = "upload-" + re.sub(r"\W", "", pipeline.stack.token[:8])
    response = httpx.post(
        f"{pipeline.url}/api/v1/calls",
        content=wav_bytes(b"\0\0" * 8000, 8000),
        headers={**pipeline.stack.auth(), "X-Request-ID": request_id, "Content-Type": "audio/wav"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    call_id = response.json()["call_id"]
    lines = [line for line in pipeline.log("api").splitlines() if f"accepted recording {call_id}" in line]
    assert len(lines) == 1 and f"[{request_id}]" in lines[0], lines


@pytest.mark.services
def test_metrics_count_requests_by_status_and_websocket_clients(pipeline: Pipeline) -> None:
    _errors(pipeline)
    url = f"{pipeline.url}/metrics"
    ws_url = f"ws://127.0.0.1:{pipeline.stack.settings.api_port}/ws/alerts?token={pipeline.stack.token}"

    def clients(text: str) -> float:
        """The /ws/alerts clients now (other tests' clients may still be connected)."""
        found = re.search(r'^hotline_api_websocket_clients\{route="/ws/alerts"\} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    def scrape() -> str:
        return httpx.get(url, headers=pipeline.stack.auth(), timeout=10).text

    before = clients(scrape())
    with connect(ws_url, open_timeout=10):
        during = scrape()
    deadline = time.monotonic() + 10  # the server sees the close a moment after the client
    while clients(after := scrape()) > clients(during) - 1:
        assert time.monotonic() < deadline, after[-2000:]
        time.sleep(0.2)
    requests = re.findall(r"^hotline_api_http_requests_total\{(.*)\} (\S+)$", during, re.M)
    statuses = {dict(re.findall(r'(\w+)="([^"]*)"', labels))["status"] for labels, _ in requests}
    assert {"401", "403", "404", "405", "413", "422"} <= statuses, statuses
    assert "hotline_api_http_request_duration_seconds_bucket" in during
    assert clients(during) >= 1 and clients(during) >= before  # this client was counted
    assert "hotline_model_workers" in during  # the model's numbers are still there


def test_a_bug_is_a_500_problem_that_quotes_the_request_id() -> None:
    app = FastAPI()
    install_error_handlers(app)
    install_request_ids(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"X-Request-ID": "r-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "r-1"
    body = response.json()
    assert body["status"] == 500 and body["request_id"] == "r-1" and "r-1" in body["detail"]
    assert "a bug" not in response.text  # no internals to the client
