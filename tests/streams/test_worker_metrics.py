"""A worker serves its own Prometheus metrics: events per agent, consumer lag, classify latency,
alerts raised; behind the API's tokens."""

from __future__ import annotations

import re
import secrets
import time

import httpx
import pytest

from tests.conftest import Pipeline

pytestmark = pytest.mark.services

N = 30
#: The worker serves /metrics once its services started, a while after the API is up on a loaded machine.
STARTUP_S = 120


def _get(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET ``url``, waiting for the worker to start serving it."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"the worker never served {url}"
            time.sleep(0.5)


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, or None when it is absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$" if wanted else rf"^{name} (\S+)$"
    match = re.search(pattern, text, flags=re.MULTILINE)
    return float(match[1]) if match else None


def test_worker_metrics_count_classify_lag_and_alerts(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    url = f"http://127.0.0.1:{stack.settings.worker_metrics_port}/metrics"
    run = secrets.token_hex(4)
    complaints = [
        {"id": f"metrics-{run}-{i}", "text": "My card has not arrived yet.", "channel": "web", "branch": run}
        for i in range(N)
    ]
    complaints[0]["regulator_forwarded"] = True  # the e2e regulator rule fires on it
    with httpx.Client(base_url=pipeline.url, headers=stack.auth(), timeout=10) as http:
        for body in complaints:
            assert http.post("/api/v1/complaints", json=body).status_code == 202

    deadline = time.monotonic() + STARTUP_S
    text = ""
    while time.monotonic() < deadline:
        response = _get(url, stack.auth())
        assert response.status_code == 200
        text = response.text
        classified = _sample(text, "hotline_worker_events_total", agent="classify_complaints") or 0
        latency_count = _sample(text, "hotline_classify_latency_seconds_count") or 0
        raised = _sample(text, "hotline_alerts_raised_total", kind="regulator_forwarded") or 0
        if classified >= N and latency_count >= N and raised >= 1:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"worker metrics never showed {N} classified complaints and an alert:\n{text[-3000:]}")

    assert (_sample(text, "hotline_worker_events_total", agent="alert_on_complaints") or 0) >= N
    assert (_sample(text, "hotline_classify_batch_seconds_count") or 0) >= 1
    lag = _sample(text, "hotline_consumer_lag", partition="0", topic=stack.settings.topic("complaints.in"))
    assert lag is not None and lag >= 0
    assert _sample(text, "hotline_sink_buffer_rows") is not None
    assert _sample(text, "hotline_live_calls") is not None
    # Where the CPU goes, per complaint: stages of the classify agent, and the collector's time.
    assert (_sample(text, "hotline_worker_complaints_total", agent="classify_complaints") or 0) >= N
    for stage in ("decode", "tag", "risk", "rows", "window_counts"):
        assert (_sample(text, "hotline_stage_cpu_seconds_total", stage=stage) or 0) > 0, stage
    assert _sample(text, "hotline_gc_seconds_total", generation="0") is not None


def test_worker_metrics_need_a_token_of_a_role_that_may_read_them(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    url = f"http://127.0.0.1:{stack.settings.worker_metrics_port}/metrics"
    assert _get(url).status_code == 401
    assert _get(url, {"Authorization": "Bearer wrong"}).status_code == 401
    monitor = {"Authorization": f"Bearer {stack.role_token('monitor')}"}
    assert _get(url, monitor).status_code == 200
    ingest = {"Authorization": f"Bearer {stack.role_token('ingest')}"}
    assert _get(url, ingest).status_code == 403
