"""``hotline models surge-eval``: the surge rule's detector on a labelled count series.

The series is a CSV of ``timestamp,value`` rows (UTC, one per bucket, e.g. NAB's 5-minute tweet
volumes); the windows are a JSON list of ``[start, end]`` pairs, or NAB's ``windows.json`` (a map
from file name to such lists, looked up by the series' file name).
"""

from __future__ import annotations

import csv
import itertools
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts import SurgeRule, evaluate_surges

__all__ = ["load_series", "load_windows", "run_surge_eval"]


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text.strip())
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def load_series(path: Path) -> tuple[list[float], list[float], int]:
    """Timestamps and counts, gaps filled with zeros, and the bucket length (the usual step)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"timestamp", "value"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected columns timestamp,value")
        rows = sorted((_epoch(r["timestamp"]), float(r["value"])) for r in reader)
    if len(rows) < 2:
        raise ValueError(f"{path}: needs at least two rows")
    step = round(statistics.median(b[0] - a[0] for a, b in itertools.pairwise(rows)))
    if step <= 0:
        raise ValueError(f"{path}: timestamps must increase")
    by_bucket = {round((ts - rows[0][0]) / step): value for ts, value in rows}
    timestamps = [rows[0][0] + k * step for k in range(max(by_bucket) + 1)]
    counts = [by_bucket.get(k, 0.0) for k in range(len(timestamps))]
    return timestamps, counts, step


def load_windows(path: Path, series: Path) -> list[tuple[float, float]]:
    """The labelled windows of ``series`` from ``path`` (a list, or a map keyed by file name)."""
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        if series.name not in data:
            raise ValueError(f"{path} has no windows for {series.name}")
        data = data[series.name]
    return [(_epoch(str(start)), _epoch(str(end))) for start, end in data]


def run_surge_eval(
    series: Path,
    windows: Path,
    *,
    false_alarms_per_day: float | None = None,
    cooldown_seconds: int | None = None,
) -> dict[str, Any]:
    """Stream ``series`` through the detector the surge rule uses (its defaults unless overridden)."""
    timestamps, counts, step = load_series(series)
    labelled = load_windows(windows, series)
    defaults = SurgeRule(id="surge-eval", kind="surge", title="eval", severity="info", dimension="eval")
    budget = false_alarms_per_day if false_alarms_per_day is not None else defaults.false_alarms_per_day
    cooldown = cooldown_seconds if cooldown_seconds is not None else defaults.cooldown_seconds
    result = evaluate_surges(
        timestamps,
        counts,
        labelled,
        bucket_seconds=step,
        cooldown_seconds=cooldown,
        false_alarms_per_day=budget,
        min_score=defaults.min_score,
        warmup_days=defaults.warmup_days,
    )
    return {
        "eval": "surge",
        "series": series.name,
        "bucket_seconds": step,
        "days": round(result.days, 2),
        "windows_hit": result.windows_hit,
        "windows_total": result.windows_total,
        "alerts": result.alerts,
        "false_alarms": result.false_alarms,
        "false_alarms_per_day": round(result.false_alarms_per_day, 3),
        "median_delay_s": None if result.median_delay_s is None else round(result.median_delay_s),
        "false_alarm_budget_per_day": budget,
        "cooldown_seconds": cooldown,
    }
