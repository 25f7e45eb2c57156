"""The review queue's query and its schema (tag margins, the label archive), on 18.16 and on chdb."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from storage.clickhouse import (
    COMPLAINT_COLUMNS,
    MIGRATIONS,
    NO_MARGIN,
    AddColumn,
    ArchivedLabel,
    ClickHouseExecutor,
    Migration,
    apply_migrations,
    archive_labels,
    normalize_complaint,
    review_queue,
)
from tests.storage.conftest import BASE_TIME

MakeComplaint = Callable[..., dict[str, Any]]
#: The migrations before tag margins and the label archive existed.
BEFORE_REVIEW = tuple(m for m in MIGRATIONS if m.version < 12)


def _insert(executor: ClickHouseExecutor, rows: list[dict[str, Any]], columns=COMPLAINT_COLUMNS) -> None:
    normalized = [normalize_complaint(r) for r in rows]
    executor.insert("complaints", columns, [tuple(r[c] for c in columns) for r in normalized])


def _tagged(
    make_complaint: MakeComplaint,
    event_id: str,
    *,
    margin: float | None,
    source: str = "model",
    minute: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A complaint tagged in ``banking77`` (with ``margin``) and in ``cause`` (by a keyword rule)."""
    row = make_complaint(
        event_id, minute=minute, tags={"banking77": "card_arrival", "cause": "delay"}, **extra
    )
    row["tag_sources"] = [source, "rules"]
    row["tag_confidences"] = [0.5 + (margin or 0) / 2, 0.9]
    row["tag_margins"] = [margin, None]
    return row


def ids(items: list[Any]) -> list[str]:
    return [item.event_id for item in items]


def test_least_sure_first_only_model_decided_recent_and_unlabelled(
    clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint
) -> None:
    apply_migrations(clickhouse_executor)
    since = BASE_TIME
    _insert(
        clickhouse_executor,
        [
            _tagged(make_complaint, "sure", margin=0.9, minute=1),
            _tagged(make_complaint, "unsure", margin=0.02, minute=2, text="卡到底什么时候寄到？"),
            _tagged(make_complaint, "middle", margin=0.4, minute=3, regulator_forwarded=True),
            _tagged(make_complaint, "tie-old", margin=0.4, minute=1),
            _tagged(make_complaint, "by-rule", margin=None, source="rules", minute=4),
            _tagged(make_complaint, "remembered", margin=None, minute=4),  # a label remembered: no margin
            _tagged(make_complaint, "too-old", margin=0.01, minute=-5),
            _tagged(make_complaint, "unsure", margin=0.02, minute=2, text="卡到底什么时候寄到？"),  # twice
        ],
    )
    # A row stored before margins were recorded: nothing to rank it by.
    old = make_complaint("no-margins", minute=5, tags={"banking77": "card_arrival"})
    _insert(clickhouse_executor, [old])

    queue = review_queue(clickhouse_executor, dimension="banking77", since=since, limit=10)
    assert ids(queue) == ["unsure", "middle", "tie-old", "sure"]  # ties: the newer first
    first = queue[0]
    assert (first.tag, first.margin, first.channel, first.text) == (
        "card_arrival",
        0.02,
        "phone",
        "卡到底什么时候寄到？",
    )
    assert first.confidence == pytest.approx(0.51) and first.model_version == "test-1"
    assert first.received_at == BASE_TIME + timedelta(minutes=2, seconds=7)
    assert [item.margin for item in queue] == sorted(item.margin for item in queue)

    assert ids(review_queue(clickhouse_executor, dimension="banking77", since=since, limit=2)) == [
        "unsure",
        "middle",
    ]
    assert ids(
        review_queue(clickhouse_executor, dimension="banking77", since=since, regulator_only=True)
    ) == ["middle"]
    assert review_queue(clickhouse_executor, dimension="cause", since=since) == []  # keyword rules decided
    assert review_queue(clickhouse_executor, dimension="product", since=since) == []  # no such tags
    assert "too-old" in ids(
        review_queue(clickhouse_executor, dimension="banking77", since=since - timedelta(hours=1))
    )

    # Labelled in this dimension: out of this dimension's queue (a label in another one does not count).
    archive_labels(
        clickhouse_executor,
        [
            ArchivedLabel(
                "l1", "unsure", "banking77", "card_arrival", "reviewer-7", BASE_TIME + timedelta(hours=1)
            ),
            ArchivedLabel("l2", "middle", "cause", "delay", "reviewer-7", BASE_TIME + timedelta(hours=1)),
            ArchivedLabel(
                "l1", "unsure", "banking77", "card_arrival", "reviewer-7", BASE_TIME + timedelta(hours=1)
            ),
        ],
    )
    assert ids(review_queue(clickhouse_executor, dimension="banking77", since=since)) == [
        "middle",
        "tie-old",
        "sure",
    ]
    stored = clickhouse_executor.execute(
        "SELECT DISTINCT label_id, complaint_id, who FROM complaint_labels ORDER BY label_id"
    )
    assert stored == [("l1", "unsure", "reviewer-7"), ("l2", "middle", "reviewer-7")]


def test_parameters_are_data_and_the_limit_is_bounded(
    clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint
) -> None:
    apply_migrations(clickhouse_executor)
    _insert(clickhouse_executor, [_tagged(make_complaint, "c1", margin=0.1)])
    assert review_queue(clickhouse_executor, dimension="banking77' OR '1'='1", since=BASE_TIME) == []
    for limit in (0, 501):
        with pytest.raises(ValueError, match="limit"):
            review_queue(clickhouse_executor, dimension="banking77", since=BASE_TIME, limit=limit)


def test_an_existing_table_gets_the_margin_column_and_old_rows_read_empty(
    clickhouse_executor: ClickHouseExecutor, make_complaint: MakeComplaint
) -> None:
    apply_migrations(clickhouse_executor, BEFORE_REVIEW)
    before = [c for c in COMPLAINT_COLUMNS if c != "tag_margins"]
    _insert(clickhouse_executor, [make_complaint("old-1")], columns=before)
    applied = apply_migrations(clickhouse_executor)
    assert applied[:2] == ["0012_complaint_tag_margins", "0013_complaint_labels"]  # later ones follow
    columns = {str(r[0]): str(r[1]) for r in clickhouse_executor.execute("DESCRIBE TABLE complaints")}
    assert columns["tag_margins"] == "Array(Float32)"
    labels = {str(r[0]): str(r[1]) for r in clickhouse_executor.execute("DESCRIBE TABLE complaint_labels")}
    assert labels["labelled_at"] == "DateTime('UTC')" and labels["dimension"] == "String"
    _insert(clickhouse_executor, [_tagged(make_complaint, "new-1", margin=0.25)])
    rows = clickhouse_executor.execute("SELECT event_id, tag_margins FROM complaints ORDER BY event_id")
    assert [(event_id, [round(m, 4) for m in margins]) for event_id, margins in rows] == [
        ("new-1", [0.25, NO_MARGIN]),
        ("old-1", []),
    ]
    # The rollups still count both (the new column is beside the arrays they ARRAY JOIN).
    assert clickhouse_executor.execute("SELECT sum(complaints) FROM complaint_totals_minute")[0][0] == 2


def test_adding_a_column_that_is_there_is_a_no_op(clickhouse_executor: ClickHouseExecutor) -> None:
    """A process that raced another through the migrations finds the column added: not an error."""
    apply_migrations(clickhouse_executor)
    again = Migration(
        MIGRATIONS[-1].version + 1,
        "9999_again",
        (AddColumn("complaints", "tag_margins", "Array(Float32)", after="tag_sources"),),
    )
    assert apply_migrations(clickhouse_executor, (*MIGRATIONS, again)) == ["9999_again"]
    described = [str(r[0]) for r in clickhouse_executor.execute("DESCRIBE TABLE complaints")]
    assert described.count("tag_margins") == 1
    assert described.index("tag_margins") == described.index("tag_sources") + 1


def test_margins_must_align_with_the_tags(make_complaint: MakeComplaint) -> None:
    row = _tagged(make_complaint, "c1", margin=0.3)
    assert normalize_complaint(row)["tag_margins"] == [0.3, NO_MARGIN]
    with pytest.raises(ValueError, match="tag_margins has 1 values for 2 tags"):
        normalize_complaint({**row, "tag_margins": [0.3]})
    with pytest.raises(ValueError, match="finite"):
        normalize_complaint({**row, "tag_margins": [float("nan"), None]})
