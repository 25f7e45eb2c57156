"""Deadline compliance and the regulator tracker from ticket events, on the server and on chdb."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.clickhouse import COMPLAINT_COLUMNS, ClickHouseExecutor, apply_migrations, normalize_complaint
from storage.clickhouse.analytics_deadlines import deadline_compliance, insert_ticket_events, regulator_cases

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MakeComplaint = Callable[..., dict[str, Any]]


def _event(complaint: dict[str, Any], kind: str, after: timedelta, **extra: Any) -> dict[str, Any]:
    received = datetime.fromtimestamp(complaint["received_at"], UTC)
    return {
        "event_id": f"{complaint['event_id']}-{kind}-{int(after.total_seconds())}",
        "complaint_id": complaint["event_id"],
        "kind": kind,
        "at": received + after,
        "received_at": received,
        "regulator_forwarded": complaint["regulator_forwarded"],
        **extra,
    }


@pytest.fixture
def tickets(clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint) -> ClickHouseExecutor:
    """Ten complaints at 12:00 (three regulator-forwarded) and their ticket events."""
    apply_migrations(clickhouse_executor)
    complaints = [make_complaint(f"c{i}", regulator_forwarded=i < 3) for i in range(10)]
    rows = [normalize_complaint(c) for c in complaints]
    clickhouse_executor.insert(
        "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in rows]
    )
    minutes, hours, days = (
        (lambda n: timedelta(minutes=n)),
        (lambda n: timedelta(hours=n)),
        (lambda n: timedelta(days=n)),
    )
    c = complaints
    events = [
        # c0: responded in 30 min, resolved in 40 h, closed in 3 days: all met.
        _event(c[0], "responded", minutes(30)),
        _event(c[0], "resolved", hours(40)),
        _event(c[0], "closed", days(3)),
        # c1: responded in 90 min (late), paused from 2 h to 50 h, resolved at 70 h: 22 h of clock, met.
        _event(c[1], "responded", minutes(90)),
        _event(c[1], "paused", hours(2)),
        _event(c[1], "resumed", hours(50)),
        _event(c[1], "resolved", hours(70), paused_s=48 * 3600),
        # c2: responded exactly at 60 min (met); decision limit extended to 30 days; closed on day 20 (met).
        _event(c[2], "responded", minutes(60)),
        _event(c[2], "extended", days(10), limit_days=30),
        _event(c[2], "closed", days(20), limit_days=30),
        # c3..c5: responded within 10 min; c6..c9: never responded (overdue once due).
        *[_event(c[i], "responded", minutes(10)) for i in (3, 4, 5)],
    ]
    assert insert_ticket_events(clickhouse_executor, events) == len(events)
    return clickhouse_executor


def test_compliance_counts_met_late_and_overdue(tickets: ClickHouseExecutor) -> None:
    later = BASE + timedelta(days=40)
    figures = {
        f.kind: f
        for f in deadline_compliance(tickets, since=BASE, until=BASE + timedelta(hours=1), now=later)
    }
    responded, resolved, closed = figures["responded"], figures["resolved"], figures["closed"]
    assert (responded.received, responded.met, responded.late, responded.overdue) == (10, 5, 1, 4)
    assert responded.share == 0.5
    assert (resolved.met, resolved.late, resolved.overdue) == (2, 0, 8)
    assert (closed.met, closed.late, closed.overdue) == (2, 0, 8)
    regulator = {
        f.kind: f
        for f in deadline_compliance(
            tickets, since=BASE, until=BASE + timedelta(hours=1), now=later, regulator_only=True
        )
    }
    assert (regulator["responded"].received, regulator["responded"].met, regulator["responded"].late) == (
        3,
        2,
        1,
    )


def test_compliance_does_not_count_deadlines_not_yet_due(tickets: ClickHouseExecutor) -> None:
    soon = BASE + timedelta(minutes=50)  # no hour of reception is past its 60 min target yet
    figures = {
        f.kind: f for f in deadline_compliance(tickets, since=BASE, until=BASE + timedelta(hours=1), now=soon)
    }
    assert figures["responded"].overdue == 0 and figures["closed"].overdue == 0
    custom = deadline_compliance(
        tickets,
        since=BASE,
        until=BASE + timedelta(hours=1),
        now=BASE + timedelta(days=40),
        targets_s={"responded": 7200},
    )
    assert (custom[0].met, custom[0].late) == (6, 0)


def test_regulator_tracker_shows_each_deadline_state(tickets: ClickHouseExecutor) -> None:
    now = BASE + timedelta(hours=51)
    cases = {
        case.event_id: case for case in regulator_cases(tickets, since=BASE - timedelta(days=1), now=now)
    }
    assert set(cases) == {"c0", "c1", "c2"}
    states = {cid: [(d.kind, d.state) for d in case.deadlines] for cid, case in cases.items()}
    assert states["c0"] == [("responded", "met"), ("resolved", "met"), ("closed", "open")]
    assert states["c1"] == [("responded", "late"), ("resolved", "open"), ("closed", "open")]
    assert states["c2"] == [("responded", "met"), ("resolved", "breached"), ("closed", "open")]
    c2_closed = cases["c2"].deadlines[2]
    assert c2_closed.target_s == 15 * 86400  # the extension comes on day 10, not yet at hour 51
    assert c2_closed.remaining_s == pytest.approx(15 * 86400 - 51 * 3600 + 7, abs=1)
    assert cases["c0"].excerpt == "my card has not arrived" and cases["c0"].regulator_ref == "R-1"
    paused = regulator_cases(tickets, since=BASE - timedelta(days=1), now=BASE + timedelta(hours=3))
    c1 = next(c for c in paused if c.event_id == "c1")
    assert [d.state for d in c1.deadlines] == ["late", "paused", "paused"]
    late = regulator_cases(tickets, since=BASE - timedelta(days=1), now=BASE + timedelta(days=25))
    c2 = next(c for c in late if c.event_id == "c2")
    assert c2.deadlines[2].state == "met" and c2.deadlines[2].target_s == 30 * 86400


#: The demo's clock: targets 60 s, 48 min and 6 h; a 30-day extension is 12 h.
DEMO_SCALE = 60


@pytest.fixture
def demo_tickets(clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint) -> datetime:
    """Three regulator-forwarded complaints two days after BASE, handled on the demo's clock; their
    reception time."""
    apply_migrations(clickhouse_executor)
    complaints = [make_complaint(f"d{i}", minute=2 * 24 * 60, regulator_forwarded=True) for i in range(3)]
    rows = [normalize_complaint(c) for c in complaints]
    clickhouse_executor.insert(
        "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in rows]
    )
    d, seconds, hours = complaints, (lambda n: timedelta(seconds=n)), (lambda n: timedelta(hours=n))
    events = [
        # d0: responded after 30 min (late: its limit_days is the decision's, not the response's);
        # decided in 5 h, within the rule's own 15 days on this clock (6 h).
        _event(d[0], "responded", hours(0.5), limit_days=15),
        _event(d[0], "closed", hours(5), limit_days=15),
        # d1: responded in 30 s (met); extended to 30 days (12 h here) at 2 h; decided at 14 h: late.
        _event(d[1], "responded", seconds(30)),
        _event(d[1], "extended", hours(2), limit_days=30),
        _event(d[1], "closed", hours(14), limit_days=30),
        # d2: never responded; extended at 1 h; decided at 8 h: past 6 h but within its 12 h.
        _event(d[2], "extended", hours(1), limit_days=30),
        _event(d[2], "closed", hours(8), limit_days=30),
    ]
    insert_ticket_events(clickhouse_executor, events)
    return datetime.fromtimestamp(complaints[0]["received_at"], UTC)


def test_an_extension_runs_on_the_demo_clock(
    clickhouse_executor: ClickHouseExecutor, demo_tickets: datetime
) -> None:
    hour = demo_tickets.replace(minute=0, second=0)
    figures = {
        f.kind: f
        for f in deadline_compliance(
            clickhouse_executor,
            since=hour,
            until=hour + timedelta(hours=1),
            now=hour + timedelta(days=2),
            time_scale=DEMO_SCALE,
        )
    }
    assert [f.target_s for f in figures.values()] == [60, 2880, 21600]
    responded, closed = figures["responded"], figures["closed"]
    assert (responded.received, responded.met, responded.late, responded.overdue) == (3, 1, 1, 1)
    assert (closed.met, closed.late, closed.overdue) == (2, 1, 0)

    def closing(now: datetime) -> dict[str, tuple[int, str]]:
        cases = regulator_cases(clickhouse_executor, since=hour, now=now, time_scale=DEMO_SCALE)
        return {case.event_id: (case.deadlines[2].target_s, case.deadlines[2].state) for case in cases}

    assert closing(demo_tickets + timedelta(hours=3)) == {
        "d0": (21600, "open"),
        "d1": (43200, "open"),
        "d2": (43200, "open"),
    }
    assert closing(demo_tickets + timedelta(hours=20)) == {
        "d0": (21600, "met"),
        "d1": (43200, "late"),
        "d2": (43200, "met"),
    }


def test_ticket_events_are_validated(tickets: ClickHouseExecutor) -> None:
    with pytest.raises(ValueError, match="kind"):
        insert_ticket_events(
            tickets,
            [{"event_id": "x", "complaint_id": "c", "kind": "bogus", "at": BASE, "received_at": BASE}],
        )
    with pytest.raises(ValueError, match="received_at"):
        insert_ticket_events(
            tickets, [{"event_id": "x", "complaint_id": "c", "kind": "responded", "at": BASE}]
        )
