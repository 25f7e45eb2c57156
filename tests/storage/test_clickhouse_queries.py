"""Reads and the materialized-view rollups, on a known set of complaints, on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from storage.clickhouse import (
    COMPLAINT_COLUMNS,
    ClickHouseExecutor,
    apply_migrations,
    branch_row_counts,
    count_complaints,
    latest_complaints,
    minute_counts,
    minute_totals,
    normalize_complaint,
    top_tags,
    visible_event_ids,
    visible_sequence_numbers,
)

BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the make_complaint fixture's base minute


@pytest.fixture
def known_set(clickhouse_executor: ClickHouseExecutor, make_complaint) -> list[dict]:
    """60 complaints over 3 minutes, 2 tag dimensions, one without tags, some regulator-forwarded."""
    apply_migrations(clickhouse_executor)
    rows = []
    for i in range(60):
        tags = {"product": ["card", "loan", "atm"][i % 3], "issue": ["fee", "delay"][i % 2]}
        if i == 59:
            tags = {}
        rows.append(
            normalize_complaint(
                make_complaint(
                    f"q-{i}",
                    minute=i % 3,
                    tags=tags,
                    channel="web" if i % 4 == 0 else "phone",
                    regulator_forwarded=i % 10 == 0,
                )
            )
        )
    # Two inserts, so the rollup holds unmerged partial sums the queries must add up.
    for part in (rows[:25], rows[25:]):
        clickhouse_executor.insert(
            "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in part]
        )
    return rows


def test_minute_counts_match_the_known_set(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    expected = Counter(
        row["received_at"].replace(second=0)
        for row in known_set
        if "card" in row["tags"] and row["tag_dimensions"][row["tags"].index("card")] == "product"
    )
    got = minute_counts(
        clickhouse_executor,
        dimension="product",
        tag="card",
        since=BASE_TIME,
        until=BASE_TIME + timedelta(hours=1),
    )
    assert got == sorted(expected.items())
    assert sum(count for _, count in got) == 20

    every_product = minute_counts(
        clickhouse_executor,
        dimension="product",
        tag=None,
        since=BASE_TIME,
        until=BASE_TIME + timedelta(hours=1),
    )
    assert [count for _, count in every_product] == [20, 20, 19]  # q-59 has no tags

    web_only = minute_counts(
        clickhouse_executor,
        dimension="issue",
        tag="fee",
        since=BASE_TIME.timestamp(),
        until=(BASE_TIME + timedelta(hours=1)).timestamp(),
        channel="web",
    )
    assert sum(count for _, count in web_only) == sum(1 for i in range(59) if i % 2 == 0 and i % 4 == 0)


def test_minute_counts_window_is_half_open(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    got = minute_counts(
        clickhouse_executor,
        dimension="product",
        tag=None,
        since=BASE_TIME + timedelta(minutes=1),
        until=BASE_TIME + timedelta(minutes=2),
    )
    assert got == [(BASE_TIME + timedelta(minutes=1), 20)]


def test_totals_count_untagged_complaints_and_regulator_ones(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    got = minute_totals(clickhouse_executor, since=BASE_TIME, until=BASE_TIME + timedelta(hours=1))
    assert [(minute, total) for minute, total, _ in got] == [
        (BASE_TIME + timedelta(minutes=m), 20) for m in range(3)
    ]
    assert sum(regulator for _, _, regulator in got) == 6


def test_top_tags_orders_by_volume(clickhouse_executor: ClickHouseExecutor, known_set: list[dict]) -> None:
    got = top_tags(
        clickhouse_executor, dimension="issue", since=BASE_TIME, until=BASE_TIME + timedelta(hours=1)
    )
    assert got == [("fee", 30), ("delay", 29)]
    hour = BASE_TIME + timedelta(hours=1)
    # card and loan tie at 20: the tag name breaks the tie
    assert top_tags(clickhouse_executor, dimension="product", since=BASE_TIME, until=hour, limit=1) == [
        ("card", 20)
    ]


def test_latest_complaints_newest_first_with_tags(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    latest = latest_complaints(clickhouse_executor, 5)
    assert len(latest) == 5
    assert [item["received_at"] for item in latest] == sorted(
        (item["received_at"] for item in latest), reverse=True
    )
    assert all(item["received_at"] == BASE_TIME + timedelta(minutes=2, seconds=7) for item in latest)
    first = latest[0]
    assert "customer_ref_hash" not in first
    assert {t["dimension"] for t in first["tag_list"]} <= {"product", "issue"}
    assert latest_complaints(clickhouse_executor, 5, since=BASE_TIME + timedelta(hours=1)) == []


def test_count_complaints_counts_physical_rows(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    ids = [row["event_id"] for row in known_set]
    assert count_complaints(clickhouse_executor, [*ids, "absent"]) == 60
    assert count_complaints(clickhouse_executor, []) == 0
    again = known_set[0]
    clickhouse_executor.insert("complaints", COMPLAINT_COLUMNS, [tuple(again[c] for c in COMPLAINT_COLUMNS)])
    assert count_complaints(clickhouse_executor, [again["event_id"]]) == 2


def test_visible_event_ids_by_branch_and_since(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    ids = [row["event_id"] for row in known_set]
    assert visible_event_ids(clickhouse_executor, branch="b1", among=[*ids, "absent"]) == set(ids)
    assert visible_event_ids(clickhouse_executor, branch="other", among=ids) == set()
    # A fractional bound works (DateTime has whole seconds) and skips the first minute's rows.
    since = BASE_TIME + timedelta(minutes=1, seconds=0.5)
    later = visible_event_ids(clickhouse_executor, branch="b1", among=ids, received_from=since)
    assert later == {f"q-{i}" for i in range(60) if i % 3 != 0}


def test_visible_sequence_numbers_by_branch_prefix_and_classified_time(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    def numbers(**kw: object) -> list[int]:
        args = {"branch": "b1", "id_prefix": "q-", "classified_from": BASE_TIME, **kw}
        return sorted(visible_sequence_numbers(clickhouse_executor, **args))

    assert numbers() == list(range(60))
    assert numbers(branch="other") == []
    assert numbers(id_prefix="x-") == []
    # Rows classified in the first minute (i % 3 == 0) are before the bound; a fractional bound works.
    since = BASE_TIME + timedelta(minutes=1, seconds=0.5)
    assert numbers(classified_from=since) == [i for i in range(60) if i % 3 != 0]


def test_branch_row_counts_show_duplicates(
    clickhouse_executor: ClickHouseExecutor, known_set: list[dict]
) -> None:
    assert branch_row_counts(clickhouse_executor, branch="b1") == (60, 60)
    assert branch_row_counts(clickhouse_executor, branch="other") == (0, 0)
    again = known_set[0]
    clickhouse_executor.insert("complaints", COMPLAINT_COLUMNS, [tuple(again[c] for c in COMPLAINT_COLUMNS)])
    assert branch_row_counts(clickhouse_executor, branch="b1") == (61, 60)
