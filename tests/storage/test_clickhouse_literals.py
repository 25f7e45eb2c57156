"""Client-side parameter rendering: the security boundary between values and SQL text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from storage.clickhouse import (
    COMPLAINT_COLUMNS,
    ClickHouseExecutor,
    apply_migrations,
    count_complaints,
    latest_complaints,
    normalize_complaint,
    quote_identifier,
    render_literal,
    substitute_params,
)

NASTY_STRINGS = [
    "'); DROP TABLE complaints; --",
    "it's",
    "back\\slash",
    "\\'",
    "trailing backslash \\",
    "\\\\'); DROP TABLE complaints; --",
    "".join(chr(i) for i in range(32)) + "\x7f",
    "%(other)s and %% and %s",
    "中文投诉：信用卡被盗刷 😡",
    "\u2028line\u2029separators\ufeff",
    '"double" `back` $dollar {brace}',
]


def test_literals_of_each_supported_type() -> None:
    assert render_literal(None) == "NULL"
    assert render_literal(True) == "1"
    assert render_literal(-42) == "-42"
    assert render_literal(2**64 - 1) == str(2**64 - 1)
    assert render_literal(0.1) == "0.1"
    assert render_literal(float("-inf")) == "-inf"
    assert render_literal(date(2024, 3, 1)) == "toDate('2024-03-01')"
    eight_east = timezone(timedelta(hours=8))
    assert render_literal(datetime(2024, 3, 1, 20, 0, tzinfo=eight_east)) == render_literal(
        datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    )
    assert render_literal(["a", ("b",)]) == "['a', ('b')]"


@pytest.mark.parametrize("value", [b"bytes", Decimal("1.5"), {"a": 1}, {1, 2}, object()])
def test_unsupported_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        render_literal(value)


def test_out_of_range_and_empty_values_are_refused() -> None:
    with pytest.raises(ValueError):
        render_literal(2**64)
    with pytest.raises(ValueError):
        render_literal(())


def test_placeholders_and_percent_signs() -> None:
    assert substitute_params("SELECT %(a)s, '100%%'", {"a": 1}) == "SELECT 1, '100%'"
    # a value is substituted once: placeholders inside it are data
    assert substitute_params("SELECT %(a)s", {"a": "%(b)s"}) == "SELECT '%(b)s'"
    assert substitute_params("SELECT '%'", None) == "SELECT '%'"
    with pytest.raises(ValueError, match="stray"):
        substitute_params("SELECT '%' , %(a)s", {"a": 1})
    with pytest.raises(ValueError, match="stray"):
        substitute_params("SELECT %(a)r", {"a": 1})
    with pytest.raises(KeyError):
        substitute_params("SELECT %(missing)s", {"a": 1})


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a`b", "a;b", "a.b", "a-b", "ü"])
def test_identifiers_must_be_plain(name: str) -> None:
    with pytest.raises(ValueError):
        quote_identifier(name)


def test_nasty_strings_round_trip_as_data(clickhouse_executor: ClickHouseExecutor) -> None:
    for value in NASTY_STRINGS:
        rows = clickhouse_executor.execute("SELECT %(v)s, length(%(v)s)", {"v": value})
        assert rows == [(value, len(value.encode()))]
    rows = clickhouse_executor.execute("SELECT %(v)s", {"v": NASTY_STRINGS})
    assert rows == [(NASTY_STRINGS,)]


def test_injection_in_parameters_and_inserted_rows_stays_data(
    clickhouse_executor: ClickHouseExecutor, make_complaint
) -> None:
    apply_migrations(clickhouse_executor)
    rows = [
        normalize_complaint(make_complaint(f"nasty-{i}", text=text, branch=text[:64]))
        for i, text in enumerate(NASTY_STRINGS)
    ]
    rows.append(normalize_complaint(make_complaint("x'); DROP TABLE complaints; --")))
    clickhouse_executor.insert(
        "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in rows]
    )
    ids = [row["event_id"] for row in rows]
    assert count_complaints(clickhouse_executor, ids) == len(rows)
    stored = {item["event_id"]: item for item in latest_complaints(clickhouse_executor, 100)}
    for row in rows:
        assert stored[row["event_id"]]["text"] == row["text"]
        assert stored[row["event_id"]]["branch"] == row["branch"]
    tables = {name for (name,) in clickhouse_executor.execute("SHOW TABLES")}
    assert "complaints" in tables


def test_insert_refuses_odd_table_and_column_names(clickhouse_executor: ClickHouseExecutor) -> None:
    with pytest.raises(ValueError):
        clickhouse_executor.insert("complaints; DROP TABLE x", ["event_id"], [("a",)])
    with pytest.raises(ValueError):
        clickhouse_executor.insert("complaints", ["event_id`) SELECT 1 --"], [("a",)])
