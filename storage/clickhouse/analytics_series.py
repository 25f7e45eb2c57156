"""Complaint volume over time, per tag or in total, from the rollup that fits the range.

Buckets without complaints are filled with zeros here (ClickHouse 18.16 has no ``WITH FILL``), so
every series has one value per bucket and the chart needs no gap logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from storage.clickhouse.analytics_filters import (
    Granularity,
    Moment,
    RollupFilter,
    as_utc,
    bucket_starts,
    choose_granularity,
    tag_conditions,
)
from storage.clickhouse.analytics_schema import BUCKET_COLUMNS, COUNTS_TABLES, TAGS_TABLES, TOTALS_TABLES
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["TagSeries", "VolumeSeries", "volume_series"]


@dataclass(frozen=True, slots=True)
class TagSeries:
    """Counts of one tag (or of everything: ``dimension`` and ``tag`` None), one per bucket."""

    dimension: str | None
    tag: str | None
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class VolumeSeries:
    """Aligned series over ``buckets`` (bucket start times, UTC)."""

    granularity: Granularity
    buckets: list[datetime]
    series: list[TagSeries]


def volume_series(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    tags: Mapping[str, tuple[str, ...]] | None = None,
    where: RollupFilter | None = None,
    granularity: Granularity | None = None,
) -> VolumeSeries:
    """Complaints per bucket in [since, until) for each tag of ``tags`` ({dimension: tags}).

    Without tags: two series, every complaint (``tag`` None) and the regulator-forwarded ones
    (``tag`` ``"regulator_forwarded"``), from the totals rollup (complaints without tags count too).
    Raises ValueError for an empty range or too many buckets.
    """
    granularity = granularity or choose_granularity(since, until)
    buckets = bucket_starts(since, until, granularity)
    index = {bucket: i for i, bucket in enumerate(buckets)}
    column = BUCKET_COLUMNS[granularity]
    conditions, params = (where or RollupFilter()).conditions()
    filtered = bool(conditions)
    conditions[:0] = [f"{column} >= %(lo)s", f"{column} < %(hi)s"]
    params.update(lo=buckets[0], hi=as_utc(until))
    if not tags:
        rows = executor.execute(
            f"SELECT {column}, sum(complaints), sum(regulator_complaints) FROM {TOTALS_TABLES[granularity]}"
            f" WHERE {' AND '.join(conditions)} GROUP BY {column}",
            params,
        )
        total, regulator = [0] * len(buckets), [0] * len(buckets)
        for bucket, count, forwarded in rows:
            i = index[as_utc(bucket)]
            total[i], regulator[i] = int(count), int(forwarded)
        return VolumeSeries(
            granularity,
            buckets,
            [TagSeries(None, None, total), TagSeries(None, "regulator_forwarded", regulator)],
        )
    tag_sql, tag_params = tag_conditions(tags)
    params.update(tag_params)
    # Without channel/branch/line filters the slim per-tag rollup answers, reading far fewer rows.
    table = (COUNTS_TABLES if filtered else TAGS_TABLES)[granularity]
    rows = executor.execute(
        f"SELECT {column}, dimension, tag, sum(complaints) FROM {table}"
        f" WHERE {tag_sql} AND {' AND '.join(conditions)} GROUP BY {column}, dimension, tag",
        params,
    )
    counts = {(d, t): [0] * len(buckets) for d in sorted(tags) for t in dict.fromkeys(tags[d])}
    for bucket, dimension, tag, count in rows:
        counts[(str(dimension), str(tag))][index[as_utc(bucket)]] = int(count)
    return VolumeSeries(granularity, buckets, [TagSeries(d, t, c) for (d, t), c in counts.items()])
