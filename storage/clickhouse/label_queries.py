"""What the labelling endpoint reads and writes: a stored complaint's text, the label archive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.clickhouse.analytics_filters import Moment, as_utc
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.label_schema import COMPLAINT_LABEL_COLUMNS

__all__ = ["ArchivedLabel", "archive_labels", "complaint_text"]


@dataclass(frozen=True, slots=True)
class ArchivedLabel:
    """One accepted label, as ``complaint_labels`` keeps it (the text stays in ``complaints``)."""

    label_id: str
    complaint_id: str
    dimension: str
    tag: str
    who: str
    labelled_at: Moment  # epoch seconds or a datetime (naive means UTC)


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


def archive_labels(executor: ClickHouseExecutor, labels: Iterable[ArchivedLabel]) -> None:
    """Insert ``labels`` into ``complaint_labels`` (a label archived twice merges into one in time;
    readers take the labels as a set, so the copy never counts)."""
    rows = [
        (
            label.label_id,
            label.complaint_id,
            label.dimension,
            label.tag,
            label.who,
            as_utc(label.labelled_at),
        )
        for label in labels
    ]
    executor.insert("complaint_labels", COMPLAINT_LABEL_COLUMNS, rows)
