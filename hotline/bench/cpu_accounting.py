"""Where a bench's CPU went: per stack process (from ``/proc``) and per worker stage (from the
workers' ``hotline_stage_cpu_seconds``), in microseconds per complaint.

Taken around a run, so every throughput figure comes with the cost that limits it; the stage
split is each worker's own accounting (thread CPU per stage), the process totals include what no
stage names (Faust, the Kafka client, the event loop), which the difference shows as ``other``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from config.settings import Settings
from hotline.api_client import auth_headers
from hotline.bench.stack_processes import StackProcess, cpu_seconds, stack_processes
from hotline.launcher import WORKER_METRICS_PORT_OFFSETS

__all__ = ["CpuSnapshot", "cpu_per_complaint", "take_cpu_snapshot"]

log = logging.getLogger(__name__)

#: Stack-process label of each worker ``hotline up`` starts -> its metrics port's offset.
_WORKER_PORT_OFFSETS = {f"worker {agents}": offset for agents, offset in WORKER_METRICS_PORT_OFFSETS.items()}


@dataclass(frozen=True)
class CpuSnapshot:
    processes: dict[str, float]  # label -> CPU seconds so far
    stages: dict[str, dict[str, float]]  # worker label -> stage -> CPU seconds so far


def take_cpu_snapshot(settings: Settings, processes: list[StackProcess] | None = None) -> CpuSnapshot:
    found = processes if processes is not None else stack_processes(settings)
    totals = {p.label: cpu for p in found if (cpu := cpu_seconds(p.pid)) is not None}
    return CpuSnapshot(
        totals, {label: _stages(settings, label) for label in totals if label in _WORKER_PORT_OFFSETS}
    )


def _stages(settings: Settings, label: str) -> dict[str, float]:
    if settings.worker_metrics_port == 0:
        return {}
    port = settings.worker_metrics_port + _WORKER_PORT_OFFSETS[label]
    try:
        response = httpx.get(
            f"http://{settings.worker_metrics_host}:{port}/metrics",
            headers=auth_headers(settings),
            timeout=5.0,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("no stage CPU from %s (port %d): %s", label, port, exc)
        return {}
    return {
        sample.labels["stage"]: sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "hotline_stage_cpu_seconds"
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def cpu_per_complaint(before: CpuSnapshot, after: CpuSnapshot, complaints: int) -> dict[str, object]:
    """``{"processes": {label: us}, "stages": {worker: {stage: us, ..., "other": us}}}`` per complaint."""
    n = max(complaints, 1)

    def us(seconds: float) -> float:
        return round(seconds / n * 1e6, 1)

    processes = {k: us(after.processes[k] - v) for k, v in before.processes.items() if k in after.processes}
    stages: dict[str, dict[str, float]] = {}
    for worker, spent in after.stages.items():
        earlier = before.stages.get(worker, {})
        split = {stage: us(value - earlier.get(stage, 0.0)) for stage, value in sorted(spent.items())}
        if worker in processes and split:
            split["other"] = round(processes[worker] - sum(split.values()), 1)
        stages[worker] = split
    return {"processes": processes, "total": round(sum(processes.values()), 1), "stages": stages}
