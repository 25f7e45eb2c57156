"""Ingest validation and auth against the running API (real broker behind it)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Pipeline, Stack, free_port, separate_api

pytestmark = pytest.mark.services

VALID = {"text": "My card was charged twice for one purchase.", "channel": "web"}


def _post(pipeline: Pipeline, body: object, **kwargs: object) -> httpx.Response:
    return httpx.post(
        f"{pipeline.url}/api/v1/complaints", json=body, headers=pipeline.stack.auth(), timeout=10, **kwargs
    )


def test_valid_complaint_is_accepted(pipeline: Pipeline) -> None:
    response = _post(
        pipeline,
        {
            **VALID,
            "customer_ref": "13800138000",
            "regulator_forwarded": True,
            "regulator_ref": "12378-000001",
            "branch": "sh-01",
            "product_hint": "credit card",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "web"}, "text"),
        ({**VALID, "text": ""}, "text"),
        ({**VALID, "text": "   "}, "text"),
        ({**VALID, "text": 42}, "text"),
        ({**VALID, "channel": "fax"}, "channel"),
        ({**VALID, "regulator_forwarded": "maybe"}, "regulator_forwarded"),
        ({**VALID, "regulator_forwarded": 0}, "regulator_forwarded"),  # a number is not a yes/no
        ({**VALID, "branch": "x" * 65}, "branch"),
        ({**VALID, "unknown": 1}, "unknown"),
        ({**VALID, "text": "bad\x00byte"}, "text"),
    ],
)
def test_bad_complaint_gets_422_naming_the_field(pipeline: Pipeline, body: dict, field: str) -> None:
    response = _post(pipeline, body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}:"), response.json()


def test_text_over_the_limit_gets_422(pipeline: Pipeline) -> None:
    limit = pipeline.stack.settings.max_text_chars
    assert _post(pipeline, {**VALID, "text": "x" * limit}).status_code == 202
    response = _post(pipeline, {**VALID, "text": "x" * (limit + 1)})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("text:")
    assert str(limit) in response.json()["detail"]


def test_oversized_body_gets_413(pipeline: Pipeline) -> None:
    huge = "x" * (pipeline.stack.settings.max_body_bytes + 10)
    response = _post(pipeline, {**VALID, "text": huge})
    assert response.status_code == 413


def test_oversized_chunked_body_gets_413(pipeline: Pipeline) -> None:
    size = pipeline.stack.settings.max_body_bytes + 10

    def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(size // 65536 + 1):
            yield b"x" * 65536

    response = httpx.post(
        f"{pipeline.url}/api/v1/complaints",
        content=chunks(),
        timeout=10,
        headers={**pipeline.stack.auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_batch_rejects_one_bad_item_as_a_whole(pipeline: Pipeline) -> None:
    body = {"complaints": [VALID, {**VALID, "channel": "fax"}]}
    response = httpx.post(
        f"{pipeline.url}/api/v1/complaints/batch", json=body, headers=pipeline.stack.auth(), timeout=10
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("complaints.1.channel:")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_token_gets_401(pipeline: Pipeline, headers: dict[str, str]) -> None:
    response = httpx.post(f"{pipeline.url}/api/v1/complaints", json=VALID, headers=headers, timeout=10)
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


def test_health_is_open_and_readiness_needs_a_token(pipeline: Pipeline) -> None:
    assert httpx.get(f"{pipeline.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{pipeline.url}/readyz").status_code == 401
    ready = httpx.get(f"{pipeline.url}/readyz", headers=pipeline.stack.auth(), timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"broker": "ok", "redis": "ok", "clickhouse": "ok", "model": "ok"}


def test_ingest_answers_503_when_the_broker_is_down(stack: Stack) -> None:
    port = free_port()
    env = {
        **stack.env,
        "HOTLINE_KAFKA_URL": f"kafka://127.0.0.1:{free_port()}",
        "HOTLINE_API_PORT": str(port),
        "HOTLINE_PRODUCE_TIMEOUT_S": "1",
    }
    with separate_api(env) as url:
        response = httpx.post(f"{url}/api/v1/complaints", json=VALID, headers=stack.auth(), timeout=15)
        assert response.status_code == 503
        assert "broker" in response.json()["detail"]
        ready = httpx.get(f"{url}/readyz", headers=stack.auth(), timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"].startswith("unreachable")
