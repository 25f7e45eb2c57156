"""Analytics rollups and queries on a known set of complaints, on the 18.16 server and on chdb."""

from __future__ import annotations

import doctest
import importlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.clickhouse import (
    COMPLAINT_COLUMNS,
    MIGRATIONS,
    ClickHouseExecutor,
    apply_migrations,
    normalize_complaint,
)
from storage.clickhouse.analytics_exports import daily_figures, iter_complaint_pages
from storage.clickhouse.analytics_filters import RollupFilter
from storage.clickhouse.analytics_series import volume_series
from storage.clickhouse.analytics_topics import branch_tag_matrix, hot_tags
from storage.clickhouse.retention import apply_retention

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the make_complaint fixture's base minute
MakeComplaint = Callable[..., dict[str, Any]]


def insert(
    executor: ClickHouseExecutor, rows: list[dict[str, Any]], columns: tuple[str, ...] = COMPLAINT_COLUMNS
) -> None:
    normalized = [normalize_complaint(r) for r in rows]
    executor.insert("complaints", columns, [tuple(r[c] for c in columns) for r in normalized])


@pytest.fixture
def known(clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint) -> ClickHouseExecutor:
    """Over 3 hours: 'card' 2/min in hour 0 and 6/min in hour 2 (a surge), 'loan' 1/min throughout,
    two branches, every 10th complaint regulator-forwarded; inserted in two blocks (partial sums)."""
    apply_migrations(clickhouse_executor)
    rows = []
    for minute in range(180):
        hour = minute // 60
        cards = 2 if hour == 0 else (0 if hour == 1 else 6)
        for i in range(cards + 1):
            tag = "card" if i < cards else "loan"
            n = len(rows)
            rows.append(
                make_complaint(
                    f"k-{n}",
                    minute=minute,
                    tags={"product": tag, "cause": "delay"},
                    branch="b1" if n % 3 else "b2",
                    channel="web" if n % 2 else "phone",
                    regulator_forwarded=n % 10 == 0,
                )
            )
    half = len(rows) // 2
    insert(clickhouse_executor, rows[:half])
    insert(clickhouse_executor, rows[half:])
    return clickhouse_executor


def test_series_of_every_granularity_agree(known: ClickHouseExecutor) -> None:
    until = BASE + timedelta(hours=3)
    minute = volume_series(known, since=BASE, until=until, tags={"product": ("card", "loan")})
    hour = volume_series(
        known, since=BASE, until=until, tags={"product": ("card", "loan")}, granularity="hour"
    )
    day = volume_series(known, since=BASE, until=until, tags={"product": ("card",)}, granularity="day")
    assert minute.granularity == "minute" and len(minute.buckets) == 180
    card = next(s for s in minute.series if s.tag == "card")
    assert card.counts[:3] == [2, 2, 2] and card.counts[60:63] == [0, 0, 0] and card.counts[-1] == 6
    assert [s.counts for s in hour.series if s.tag == "card"] == [[120, 0, 360]]
    assert [s.counts for s in hour.series if s.tag == "loan"] == [[60, 60, 60]]
    assert day.buckets == [datetime(2024, 3, 1, tzinfo=UTC)] and day.series[0].counts == [480]


def test_series_without_tags_counts_every_complaint_and_the_regulator_ones(known: ClickHouseExecutor) -> None:
    series = volume_series(known, since=BASE, until=BASE + timedelta(hours=3), granularity="hour")
    total, regulator = series.series
    assert total.tag is None and total.counts == [180, 60, 420]
    assert regulator.tag == "regulator_forwarded" and sum(regulator.counts) == 66  # ids 0, 10, ..., 650
    web = volume_series(
        known,
        since=BASE,
        until=BASE + timedelta(hours=3),
        granularity="hour",
        where=RollupFilter(channel="web"),
    )
    assert sum(web.series[0].counts) == 330


def test_series_refuses_empty_or_huge_ranges(known: ClickHouseExecutor) -> None:
    with pytest.raises(ValueError, match="after"):
        volume_series(known, since=BASE, until=BASE)
    with pytest.raises(ValueError, match="buckets"):
        volume_series(known, since=BASE, until=BASE + timedelta(days=30), granularity="minute")


def test_hot_tags_compare_with_the_previous_period(known: ClickHouseExecutor) -> None:
    hot = hot_tags(
        known, since=BASE + timedelta(hours=2), until=BASE + timedelta(hours=3), dimension="product"
    )
    assert [(h.tag, h.count, h.previous) for h in hot] == [("card", 360, 0), ("loan", 60, 60)]
    assert hot[0].growth is None and hot[1].growth == 0.0
    every = hot_tags(known, since=BASE + timedelta(hours=1), until=BASE + timedelta(hours=3), limit=2)
    assert [(h.dimension, h.tag, h.count, h.previous) for h in every] == [
        ("cause", "delay", 480, 180),
        ("product", "card", 360, 120),
    ]
    by_growth = hot_tags(
        known,
        since=BASE + timedelta(hours=1),
        until=BASE + timedelta(hours=2),
        dimension="product",
        order="growth",
        granularity="minute",
    )
    assert [h.tag for h in by_growth] == ["loan"]  # card had none in hour 1


def test_branch_tag_matrix(known: ClickHouseExecutor) -> None:
    matrix = branch_tag_matrix(
        known, dimension="product", since=BASE, until=BASE + timedelta(hours=3), top_tags=1
    )
    assert matrix.tags == ["card"]
    assert matrix.branches == ["b1", "b2"]
    assert sum(row[0] for row in matrix.counts) == 480
    assert matrix.counts[0][0] > matrix.counts[1][0]


def test_export_pages_leave_out_the_customer_hash_and_filter_by_tag(known: ClickHouseExecutor) -> None:
    pages = list(
        iter_complaint_pages(
            known, since=BASE, until=BASE + timedelta(hours=3), dimension="product", tag="loan"
        )
    )
    rows = [row for page in pages for row in page]
    assert len(pages) == 3 and len(rows) == 180
    assert all("customer_ref_hash" not in row for row in rows)
    assert all("product:loan" in row["tags"] for row in rows)
    assert rows == sorted(rows, key=lambda r: r["received_at"])
    regulator = [
        r
        for p in iter_complaint_pages(known, since=BASE, until=BASE + timedelta(hours=3), regulator_only=True)
        for r in p
    ]
    assert len(regulator) == 66 and all(r["regulator_forwarded"] == 1 for r in regulator)


def test_daily_figures(known: ClickHouseExecutor) -> None:
    day = daily_figures(
        known, since=BASE.replace(hour=0), until=BASE.replace(hour=0) + timedelta(days=1), now=BASE
    )
    assert day.complaints == 660 and day.regulator_forwarded == 66
    assert [n for _, n in day.per_hour] == [180, 60, 420]
    assert dict(day.per_channel) == {"web": 330, "phone": 330}
    assert day.top_tags[0].tag == "delay" and day.top_tags[0].count == 660


def test_new_rollups_are_backfilled_from_the_minute_rollup(
    clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint
) -> None:
    apply_migrations(clickhouse_executor, MIGRATIONS[:3])
    first_columns = tuple(c for c in COMPLAINT_COLUMNS if c != "tag_margins")  # added by migration 12
    insert(clickhouse_executor, [make_complaint(f"old-{i}", minute=i) for i in range(90)], first_columns)
    apply_migrations(clickhouse_executor)
    apply_migrations(clickhouse_executor)  # a second run must not backfill twice
    insert(clickhouse_executor, [make_complaint("new-1", minute=5)])
    hours = volume_series(
        clickhouse_executor, since=BASE, until=BASE + timedelta(hours=2), tags={"product": ("card",)}
    )
    assert hours.granularity == "minute"
    by_hour = volume_series(
        clickhouse_executor,
        since=BASE,
        until=BASE + timedelta(hours=2),
        tags={"product": ("card",)},
        granularity="hour",
    )
    assert by_hour.series[0].counts == [61, 30]
    by_day = volume_series(
        clickhouse_executor, since=BASE, until=BASE + timedelta(hours=2), granularity="day"
    )
    assert by_day.series[0].counts == [91]


def test_retention_drops_only_expired_partitions(
    clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint
) -> None:
    apply_migrations(clickhouse_executor)
    old, recent = make_complaint("old", minute=0), make_complaint("recent", minute=0)
    recent["received_at"] = (BASE + timedelta(days=40)).timestamp()
    insert(clickhouse_executor, [old, recent])
    now = BASE + timedelta(days=41)
    planned = apply_retention(clickhouse_executor, now=now, raw_days=30, rollup_days=365, dry_run=True)
    assert {(p.table, p.partition) for p in planned} == {("complaints", "20240301")}
    assert clickhouse_executor.execute("SELECT count() FROM complaints")[0][0] == 2
    apply_retention(clickhouse_executor, now=now, raw_days=30, rollup_days=365)
    assert [r[0] for r in clickhouse_executor.execute("SELECT event_id FROM complaints")] == ["recent"]
    assert clickhouse_executor.execute("SELECT sum(complaints) FROM complaint_totals_day")[0][0] == 2
    dropped = apply_retention(clickhouse_executor, now=now, raw_days=30, rollup_days=10)
    assert {p.table for p in dropped} >= {"complaint_totals_day", "complaint_counts_minute"}
    assert clickhouse_executor.execute("SELECT sum(complaints) FROM complaint_totals_day")[0][0] == 1


@pytest.mark.parametrize(
    "name",
    [
        "storage.clickhouse.analytics_filters",
        "storage.clickhouse.analytics_topics",
        "storage.clickhouse.analytics_deadlines",
        "storage.clickhouse.retention",
        "storage.clickhouse.analytics_exports",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_slim_and_full_rollups_give_the_same_answers(known: ClickHouseExecutor) -> None:
    """Unfiltered reads use the per-tag / per-branch rollups; filtered ones the full rollup."""
    since, until = BASE, BASE + timedelta(hours=3)
    for granularity in ("minute", "hour", "day"):
        slim = volume_series(
            known, since=since, until=until, tags={"product": ("card",)}, granularity=granularity
        )
        full = volume_series(
            known,
            since=since,
            until=until,
            tags={"product": ("card",)},
            granularity=granularity,
            where=RollupFilter(line="main"),  # every row's line: same numbers, other table
        )
        assert slim.series[0].counts == full.series[0].counts and slim.series[0].total == 480
    by_hour = branch_tag_matrix(known, dimension="product", since=since, until=until, granularity="hour")
    by_minute = branch_tag_matrix(known, dimension="product", since=since, until=until, granularity="minute")
    by_day = branch_tag_matrix(known, dimension="product", since=since, until=until, granularity="day")
    assert by_hour == by_minute == by_day
    hot_full = hot_tags(known, since=since, until=until, dimension="product", where=RollupFilter(line="main"))
    assert [(h.tag, h.count) for h in hot_full] == [
        (h.tag, h.count) for h in hot_tags(known, since=since, until=until, dimension="product")
    ]
