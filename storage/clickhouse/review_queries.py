"""The review queue: recent complaints whose model-decided tag in one dimension is least sure.

A tag qualifies when the model's probabilities decided it (``tag_sources`` is ``model`` and its
``tag_margins`` value is a real margin, >= 0; keyword rules and remembered labels carry
:data:`~storage.clickhouse.complaint_row.NO_MARGIN`). Rows stored before margins were recorded (an
empty ``tag_margins``) have nothing to rank by and are left out. Complaints already labelled in the
dimension (``complaint_labels``) are left out too. Least sure first: margin ascending, then newest.

Works on ClickHouse 18.16 and current servers: the dimension's position in the parallel arrays is
found with ``indexOf`` rather than ``ARRAY JOIN`` (which would refuse arrays of different lengths).
Two reads: the ranking reads only small columns over the window; the texts are then read for the
few complaints listed (a window's texts are most of its bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clickhouse.analytics_filters import Moment, as_utc
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["MAX_REVIEW_ITEMS", "ReviewItem", "review_queue"]

#: Most items one call returns.
MAX_REVIEW_ITEMS = 500

_REVIEW_SQL = """
SELECT event_id, received_at, channel, regulator_forwarded, tag, confidence, margin, model_version
FROM (
    SELECT
        event_id,
        received_at,
        channel,
        regulator_forwarded,
        model_version,
        indexOf(tag_dimensions, %(dimension)s) AS tag_index,
        arrayElement(tags, tag_index) AS tag,
        arrayElement(tag_confidences, tag_index) AS confidence,
        arrayElement(tag_sources, tag_index) AS source,
        arrayElement(tag_margins, tag_index) AS margin
    FROM complaints
    WHERE received_at >= %(since)s
      AND has(tag_dimensions, %(dimension)s)
      AND length(tag_margins) = length(tag_dimensions){forwarded}
      AND event_id NOT IN (
          SELECT complaint_id FROM complaint_labels
          WHERE dimension = %(dimension)s AND labelled_at >= %(since)s
      )
)
WHERE source = 'model' AND margin >= 0
ORDER BY margin, received_at DESC, event_id
LIMIT 1 BY event_id
LIMIT %(limit)s
"""
_TEXTS_SQL = """
SELECT event_id, any(text) FROM complaints
WHERE received_at >= %(since)s AND event_id IN %(ids)s
GROUP BY event_id
"""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One complaint to review: what the model said about it in the dimension, and how sure it was."""

    event_id: str
    received_at: datetime
    channel: str
    text: str
    regulator_forwarded: bool
    tag: str
    confidence: float
    margin: float
    model_version: str


def review_queue(
    executor: ClickHouseExecutor,
    *,
    dimension: str,
    since: Moment,
    limit: int = 20,
    regulator_only: bool = False,
) -> list[ReviewItem]:
    """Complaints received since ``since`` whose ``dimension`` tag the model decided, unlabelled in
    that dimension, least sure (lowest margin) first; at most ``limit`` (1..:data:`MAX_REVIEW_ITEMS`).

    A label's time is never before its complaint's reception, so the labels looked at are bounded by
    ``since`` as well. ``regulator_only`` keeps regulator-forwarded complaints only.
    """
    if not 1 <= limit <= MAX_REVIEW_ITEMS:
        raise ValueError(f"limit must lie between 1 and {MAX_REVIEW_ITEMS}")
    forwarded = "\n      AND regulator_forwarded = 1" if regulator_only else ""
    start = as_utc(since)
    ranked = executor.execute(
        _REVIEW_SQL.format(forwarded=forwarded),
        {"dimension": dimension, "since": start, "limit": int(limit)},
    )
    if not ranked:
        return []
    texts = dict(executor.execute(_TEXTS_SQL, {"since": start, "ids": tuple(row[0] for row in ranked)}))
    return [
        ReviewItem(
            event_id=str(event_id),
            received_at=as_utc(received_at),
            channel=str(channel),
            text=str(texts.get(event_id, "")),
            regulator_forwarded=bool(forwarded_flag),
            tag=str(tag),
            confidence=round(float(confidence), 6),
            margin=round(float(margin), 6),  # stored as Float32: no false digits
            model_version=str(version),
        )
        for event_id, received_at, channel, forwarded_flag, tag, confidence, margin, version in ranked
    ]
