"""The labelling endpoint's lookup of a complaint's text, on both engines."""

from __future__ import annotations

from storage.clickhouse import (
    COMPLAINT_COLUMNS,
    ClickHouseExecutor,
    apply_migrations,
    complaint_text,
    normalize_complaint,
)


def test_text_of_a_stored_complaint_and_none_for_an_unknown_one(
    clickhouse_executor: ClickHouseExecutor, make_complaint
) -> None:
    apply_migrations(clickhouse_executor)
    rows = [
        normalize_complaint(make_complaint("label-1", text="信用卡年费被多收了")),
        normalize_complaint(make_complaint("label-2", text="my card has not arrived")),
        normalize_complaint(make_complaint("label-1", text="信用卡年费被多收了")),  # stored twice
    ]
    clickhouse_executor.insert(
        "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in rows]
    )
    assert complaint_text(clickhouse_executor, "label-1") == "信用卡年费被多收了"
    assert complaint_text(clickhouse_executor, "label-2") == "my card has not arrived"
    assert complaint_text(clickhouse_executor, "label-3") is None
    assert complaint_text(clickhouse_executor, "label-1' OR '1'='1") is None  # a parameter, not SQL
