"""The demo simulator handles complaints on the real stack: its ticket events reach the deadline
clocks (warnings and breaches fire) and the deadline compliance figures."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
import pytest

from hotline.simulator import TrafficModel, read_texts, run_simulator
from storage.clickhouse import DriverExecutor
from tests.conftest import BANKING77, Pipeline
from tests.dashboard.conftest import wait_until

pytestmark = pytest.mark.services

#: 60 min of first-response target pass in 6 s: the e2e deadline rule (6 s / 40 s / 60 s, line
#: deadline-test, tests/conftest.py) sees responses in time, after its warning point and late.
TIME_SCALE = 600.0
SECONDS = 12.0
#: The latest planned responses come 150 min (business time) after reception: 15 s here.
DRAIN_S = 25.0


def _responded(pipeline: Pipeline) -> int:
    """First responses the compliance figures count (met or late), over all complaints."""
    response = httpx.get(
        f"{pipeline.url}/api/v1/stats/deadline-compliance", headers=pipeline.stack.auth(), timeout=10
    )
    assert response.status_code == 200, response.text
    figure = next(d for d in response.json()["deadlines"] if d["kind"] == "responded")
    return int(figure["met"]) + int(figure["late"])


def _rows(executor: DriverExecutor, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return list(executor.execute(sql, params))


def test_the_simulator_drives_ticket_events_into_deadlines_and_compliance(dashboard_stack: Pipeline) -> None:
    branch = f"sim-{secrets.token_hex(3)}"
    settings = dashboard_stack.stack.settings.model_copy(update={"deadline_time_scale": TIME_SCALE})
    model = TrafficModel(
        read_texts(BANKING77),
        rate=4.0,
        first_surge_s=1e9,  # no surge: this test is about handling
        channel_weights={"phone": 1.0},
        lines=("deadline-test",),
        branches=(branch,),
        regulator_share=0.0,
        ticket_share=1.0,
    )
    before = _responded(dashboard_stack)
    sent = asyncio.run(
        run_simulator(settings, data=BANKING77, rate=4.0, seconds=SECONDS, model=model, drain_s=DRAIN_S)
    )
    assert sent >= 10

    executor = DriverExecutor.from_url(settings.clickhouse_url)
    try:

        def complaint_ids() -> list[str] | None:
            rows = _rows(
                executor, "SELECT DISTINCT event_id FROM complaints WHERE branch = %(b)s", {"b": branch}
            )
            return [str(r[0]) for r in rows] if len(rows) >= sent else None

        ids = wait_until(complaint_ids, 60, "the simulated complaints' rows")

        def kinds() -> dict[str, int]:
            rows = _rows(
                executor,
                "SELECT kind, uniqExact(complaint_id) FROM ticket_events WHERE complaint_id IN %(ids)s"
                " GROUP BY kind",
                {"ids": tuple(ids)},
            )
            return {str(kind): int(n) for kind, n in rows}

        # Every handled complaint is assigned; most get a first response within the run.
        seen = wait_until(lambda: (k := kinds()).get("assigned", 0) >= sent and k, 60, "ticket events")
        assert seen.get("responded", 0) >= 0.6 * sent, seen
        assert set(seen) <= {"assigned", "responded", "paused", "resumed", "resolved", "closed"}
    finally:
        executor.close()

    # The compliance figures count those first responses.
    responded = seen["responded"]
    wait_until(lambda: _responded(dashboard_stack) - before >= responded, 60, "the compliance figures")

    # Some came after the warning point or too late (or never): the deadline clocks fired for them.
    def deadline_alerts() -> list[dict[str, Any]]:
        response = httpx.get(
            f"{dashboard_stack.url}/api/v1/alerts",
            params={"rule_id": "e2e-deadlines", "limit": 1000},
            headers=dashboard_stack.stack.auth(),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        ours = set(ids)
        return [a for a in response.json()["alerts"] if a.get("complaint_id") in ours]

    alerts = wait_until(
        lambda: (found := deadline_alerts()) and any(a["severity"] == "critical" for a in found) and found,
        60,
        "a deadline breach of a simulated complaint",
    )
    assert {a["severity"] for a in alerts} <= {"warning", "critical"}
