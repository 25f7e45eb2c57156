"""A quick ``hotline bench pipeline`` in the suite: a change that makes the whole text path several
times slower fails here instead of landing unnoticed. The floor is generous (the test stack is
shared with the rest of the suite and CI machines are noisy); the figure it is a fraction of is the
one docs/benchmarks.md states, so the two cannot drift apart."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, Pipeline, run_bench

pytestmark = pytest.mark.services

#: Fraction of the documented throughput below which the suite fails.
FLOOR_FRACTION = 0.4
EVENTS = 5000
#: The marked line in docs/benchmarks.md that holds the reference figure.
REFERENCE_LINE = re.compile(
    r"Regression reference \(`tests/hotline/test_pipeline_floor.py`\): \*\*([\d,]+)\*\*"
)


def documented_events_per_s() -> float:
    """The figure the docs state as the pipeline's reference (one marked line, complaints/s)."""
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    found = REFERENCE_LINE.search(text)
    assert found, "docs/benchmarks.md lost its marked pipeline reference line"
    return float(found.group(1).replace(",", ""))


def test_documented_reference_is_a_plausible_figure() -> None:
    assert 500 <= documented_events_per_s() <= 50_000


def test_pipeline_stays_above_the_floor(pipeline: Pipeline) -> None:
    result, _ = run_bench(pipeline, "pipeline", "--events", str(EVENTS), timeout=300)
    assert result["bench"] == "pipeline" and result["failed"] == 0
    assert result["visible"] == result["accepted"] == EVENTS
    floor = FLOOR_FRACTION * documented_events_per_s()
    assert result["events_per_s"] >= floor, (
        f"{result['events_per_s']} complaints/s through the whole path, floor {floor:.0f} "
        f"({FLOOR_FRACTION:.0%} of docs/benchmarks.md); load {result['run']['load_before']} -> "
        f"{result['run']['load_after']}; CPU per complaint {result['cpu_us_per_complaint']}"
    )
