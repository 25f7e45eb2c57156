"""DDL of ``complaint_labels``: every label the API accepted, so reads can tell what was labelled.

The labels themselves travel on the ``labels`` topic to the learner (which learns them and keeps the
model's memory of labelled texts); this table is their archive in ClickHouse, read by the review
queue to leave out complaints already labelled in a dimension. ReplacingMergeTree on the label id:
a label archived twice is one label. Partitioned by month, dropped with the raw tables' retention.
"""

from __future__ import annotations

__all__ = ["COMPLAINT_LABELS_DDL", "COMPLAINT_LABEL_COLUMNS"]

#: Insert order of ``complaint_labels``.
COMPLAINT_LABEL_COLUMNS: tuple[str, ...] = (
    "label_id",
    "complaint_id",
    "dimension",
    "tag",
    "who",
    "labelled_at",
)

COMPLAINT_LABELS_DDL = """
CREATE TABLE IF NOT EXISTS complaint_labels (
    label_id String,
    complaint_id String,
    dimension String,
    tag String,
    who String,
    labelled_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(labelled_at)
ORDER BY (dimension, complaint_id, label_id)
"""
