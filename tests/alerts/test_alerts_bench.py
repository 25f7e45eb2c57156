"""``hotline bench alerts`` end to end on the test stack (small rate: correctness, not speed)."""

from __future__ import annotations

import pytest

from tests.conftest import Pipeline, run_bench

pytestmark = pytest.mark.services


def test_bench_alerts_gets_one_alert_per_complaint(pipeline: Pipeline) -> None:
    result, _ = run_bench(pipeline, "alerts", "--rate", "40", "--seconds", "2", timeout=180)
    assert result["bench"] == "alerts" and result["sent"] == 80 and result["failed"] == 0
    assert result["alerts_received"] == 80 and result["missing"] == 0 and result["duplicates"] == 0
    assert 0 < result["latency_p50_s"] <= result["latency_p99_s"] <= result["latency_max_s"]
