"""``hotline bench soak`` for a minute at a low rate on the test stack: the JSON a long run reports."""

from __future__ import annotations

import pytest

from tests.conftest import Pipeline, run_bench

pytestmark = pytest.mark.services

RATE = 20
MINUTES = 1
INTERVAL_S = 15


def test_bench_soak_holds_a_rate_and_reports_every_process(pipeline: Pipeline) -> None:
    args = ("soak", "--rate", str(RATE), "--minutes", str(MINUTES), "--interval-s", str(INTERVAL_S))
    result, progress = run_bench(pipeline, *args, timeout=280)
    sent = RATE * MINUTES * 60
    assert result["bench"] == "soak" and result["sent"] == sent
    assert result["accepted"] == sent and result["failed"] == 0
    assert result["visible"] == sent and result["missing"] == 0
    assert result["rows_stored"] == sent and result["duplicates"] == 0
    assert result["rate_held"] is True
    assert 0 < result["latency_p50_s"] <= result["latency_p95_s"] <= result["latency_p99_s"]

    intervals = result["intervals"]
    assert len(intervals) >= 3
    assert sum(i["accepted"] for i in intervals) == sent
    assert [i["t_s"] for i in intervals] == sorted(i["t_s"] for i in intervals)
    assert intervals[0]["t_s"] == pytest.approx(INTERVAL_S, abs=3)
    processes = result["processes"]
    # One worker is "worker"; several (`--agents ...`) are "worker tagging", "worker alerts".
    workers = {label: p["pid"] for label, p in processes.items() if label.startswith("worker")}
    assert pipeline.worker.pid in workers.values()
    for interval in intervals[:-1]:
        assert interval["accepted_per_s"] == pytest.approx(RATE, rel=0.2)
        assert all(interval["processes"][label]["rss_mb"] > 0 for label in workers)

    assert processes["api"]["pid"] == pipeline.api.pid
    assert {"broker", "clickhouse"} <= set(processes)
    for label in ("api", *workers, "broker", "clickhouse"):
        growth = processes[label]
        assert 0 < growth["rss_mb_first"] <= growth["rss_mb_max"]
        assert growth["samples"] >= MINUTES * 60 // 5 - 1
    # A minute is too short to call a memory trend; the verdict says so rather than guessing.
    assert all(result["flat_rss"][label] is None for label in workers)
    assert result["flat_rss_threshold"]["mb_per_10min"] > 0
    assert "soak t=" in progress  # one progress line per interval
