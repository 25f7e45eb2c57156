"""The read the labelling endpoint needs: a stored complaint's text, by event id."""

from __future__ import annotations

from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["complaint_text"]


def complaint_text(
    executor: ClickHouseExecutor, event_id: str, *, regulator_only: bool = False
) -> str | None:
    """The text of complaint ``event_id`` as stored, or None when no such complaint is stored
    (with ``regulator_only``: no such regulator-forwarded complaint).

    A complaint redelivered and stored twice has the same text in both rows, so any row will do.
    """
    forwarded = " AND regulator_forwarded = 1" if regulator_only else ""
    rows = executor.execute(
        f"SELECT text FROM complaints WHERE event_id = %(event_id)s{forwarded} LIMIT 1",
        {"event_id": event_id},
    )
    return str(rows[0][0]) if rows else None
