"""Prometheus metrics of one worker process (served by :mod:`streams.metrics_server`).

One registry per process (``hotline_worker_*`` and friends); every worker serves its own, so the
series of several workers differ by the scrape target (Prometheus adds ``instance``). Counters and
histograms are updated where things happen; gauges that mirror state (sink buffer, live calls) read
it at scrape time, and consumer lag is computed from the consumer's offsets per scrape.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import faust
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "ALERTS_RAISED",
    "CLASSIFY_BATCH_SECONDS",
    "CLASSIFY_LATENCY_SECONDS",
    "COMPLAINTS",
    "EVENTS",
    "GC_SECONDS",
    "LIVE_CALLS",
    "REGISTRY",
    "SINK_BUFFER_ROWS",
    "STAGE_CPU_SECONDS",
    "WEBHOOK_FAILURES",
    "AgentEventSensor",
    "ConsumerLagCollector",
    "count_raised",
    "stage_cpu",
    "time_garbage_collections",
]

REGISTRY = CollectorRegistry(auto_describe=True)

#: Seconds: a micro-batch takes milliseconds; a complaint's wait grows to seconds when a worker lags.
_BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

EVENTS = Counter(
    "hotline_worker_events", "Events (records) each agent took from its topic.", ["agent"], registry=REGISTRY
)
COMPLAINTS = Counter(
    "hotline_worker_complaints",
    "Complaints each agent handled (a batch record holds several).",
    ["agent"],
    registry=REGISTRY,
)
STAGE_CPU_SECONDS = Counter(
    "hotline_stage_cpu_seconds",
    "CPU seconds (the running thread's) spent per stage of an agent: divide by "
    "hotline_worker_complaints for CPU per complaint.",
    ["stage"],
    registry=REGISTRY,
)
CLASSIFY_BATCH_SECONDS = Histogram(
    "hotline_classify_batch_seconds",
    "Time to classify one micro-batch (decode, tag, score, buffer, count).",
    buckets=_BATCH_BUCKETS,
    registry=REGISTRY,
)
CLASSIFY_LATENCY_SECONDS = Histogram(
    "hotline_classify_latency_seconds",
    "Per complaint: received by the API -> classified by the worker.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
ALERTS_RAISED = Counter(
    "hotline_alerts_raised",
    "Alerts raised (new alerts, not repeats) by rule kind.",
    ["kind"],
    registry=REGISTRY,
)
WEBHOOK_FAILURES = Counter(
    "hotline_webhook_failures",
    "Webhook failures: `attempt` = one try failed, `delivery` = gave up on an alert.",
    ["webhook", "stage"],
    registry=REGISTRY,
)
LIVE_CALLS = Gauge("hotline_live_calls", "Calls this worker is transcribing now.", registry=REGISTRY)
SINK_BUFFER_ROWS = Gauge(
    "hotline_sink_buffer_rows", "Complaint rows buffered for ClickHouse, not yet written.", registry=REGISTRY
)


GC_SECONDS = Counter(
    "hotline_gc_seconds",
    "Wall seconds the cyclic garbage collector ran, per generation (a large heap makes each full"
    " collection slower; the stage CPU figures include it wherever it struck).",
    ["generation"],
    registry=REGISTRY,
)
_gc_started: list[float] = []


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started.append(time.perf_counter())
    elif _gc_started:
        GC_SECONDS.labels(generation=str(info["generation"])).inc(time.perf_counter() - _gc_started.pop())


def time_garbage_collections() -> None:
    """Count the collector's time in ``hotline_gc_seconds`` (once per process)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


@contextmanager
def stage_cpu(stage: str) -> Iterator[None]:
    """Count the thread CPU time of the block towards ``stage`` (two clock reads per block).

    A block that awaits also counts what other tasks of the thread ran meanwhile: keep awaiting
    blocks short (one send), or read their figure as an upper bound.
    """
    started = time.thread_time()
    try:
        yield
    finally:
        STAGE_CPU_SECONDS.labels(stage=stage).inc(time.thread_time() - started)


def count_raised(kind: str, outcomes: Iterable[Any]) -> None:
    """Count the outcomes (``storage.alert_states`` raise results) that fired a new alert."""
    fired = sum(1 for outcome in outcomes if outcome.event == "fired")
    if fired:
        ALERTS_RAISED.labels(kind=kind).inc(fired)


class AgentEventSensor(faust.Sensor):
    """Counts every event an agent's stream takes (Faust calls it per event, on the event loop)."""

    def on_stream_event_in(
        self, tp: faust.types.TP, offset: int, stream: faust.StreamT, event: faust.EventT
    ) -> None:
        EVENTS.labels(agent=_agent_name(stream)).inc()
        return None


def _agent_name(stream: faust.StreamT) -> str:
    # An agent's stream carries the agent's qualified name as its prefix.
    prefix = getattr(stream, "prefix", "") or stream.shortlabel
    return prefix.rsplit(".", 1)[-1]


class ConsumerLagCollector(Collector):
    """``hotline_consumer_lag{topic,partition}``: messages on the broker this worker has not read yet."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "hotline_consumer_lag",
            "Messages not yet read by this worker, per assigned topic partition (high water - position).",
            labels=["topic", "partition"],
        )
        consumer = self.app.consumer if self.app.started else None
        for tp in sorted(consumer.assignment() if consumer is not None else ()):
            try:
                high = consumer.highwater(tp)
            except Exception:  # not fetched from yet, or the assignment is changing
                continue
            if high is None:
                continue
            read = consumer._read_offset.get(tp)
            position = read + 1 if read is not None else consumer._committed_offset.get(tp) or 0
            lag.add_metric([tp.topic, str(tp.partition)], max(0, high - position))
        yield lag

    def describe(self) -> Iterator[Metric]:
        return iter(())
