"""Hot topics (top tags with growth against the previous period) and the branch x tag matrix.

Both read one rollup, chosen from the span like the time series, and answer in one statement each:
the current and previous period are two ``sumIf`` of one scan, and the matrix keeps only the most
frequent tags (an ``IN`` subquery, which 18.16 supports, unlike CTEs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from storage.clickhouse.analytics_filters import (
    GRANULARITY_SECONDS,
    Granularity,
    Moment,
    RollupFilter,
    as_utc,
    choose_granularity,
    floor_to,
)
from storage.clickhouse.analytics_schema import BRANCH_TAGS_TABLES, BUCKET_COLUMNS, COUNTS_TABLES, TAGS_TABLES
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["BranchTagMatrix", "HotTag", "branch_tag_matrix", "hot_tags"]

HotOrder = Literal["count", "growth"]


@dataclass(frozen=True, slots=True)
class HotTag:
    """A tag's count now and in the period just before, of the same length."""

    dimension: str
    tag: str
    count: int
    previous: int

    @property
    def growth(self) -> float | None:
        """Relative change against the previous period; None when it had no complaints.

        Examples
        --------
        >>> HotTag("d", "t", 30, 10).growth, HotTag("d", "t", 5, 0).growth
        (2.0, None)
        """
        return (self.count - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True, slots=True)
class BranchTagMatrix:
    """``counts[i][j]``: complaints at ``branches[i]`` tagged ``tags[j]``; branches by total, descending."""

    dimension: str
    branches: list[str]
    tags: list[str]
    counts: list[list[int]]


def _rollup_for(since: Moment, until: Moment, granularity: Granularity | None) -> Granularity:
    """The given granularity, else the one for the span; the range is widened to whole buckets."""
    return granularity or choose_granularity(since, until)


def hot_tags(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    dimension: str | None = None,
    limit: int = 10,
    order: HotOrder = "count",
    where: RollupFilter | None = None,
    granularity: Granularity | None = None,
) -> list[HotTag]:
    """The ``limit`` top tags in [since, until), with their count in the period just before.

    ``order="growth"`` ranks by the absolute increase over the previous period (a tag going from 0
    to 40 outranks one going from 200 to 230) instead of by count. ``dimension`` None covers every
    dimension. Bounds are floored to the rollup's buckets.
    """
    if limit < 1:
        raise ValueError("limit must be >= 1")
    granularity = _rollup_for(since, until, granularity)
    column = BUCKET_COLUMNS[granularity]
    start, end = floor_to(since, granularity), floor_to(until, granularity)
    if as_utc(until) > end:
        end += timedelta(seconds=GRANULARITY_SECONDS[granularity])
    if end <= start:
        raise ValueError("`until` must be after `since`")
    previous_start = start - (end - start)
    conditions, params = (where or RollupFilter()).conditions()
    table = (COUNTS_TABLES if conditions else TAGS_TABLES)[granularity]
    conditions[:0] = [f"{column} >= %(prev)s", f"{column} < %(end)s"]
    if dimension is not None:
        conditions.insert(0, "dimension = %(dimension)s")
        params["dimension"] = dimension
    params.update(prev=previous_start, start=start, end=end, limit=int(limit))
    rank = "n DESC" if order == "count" else "(toInt64(n) - toInt64(p)) DESC, n DESC"
    rows = executor.execute(
        f"SELECT dimension, tag, sumIf(complaints, {column} >= %(start)s) AS n,"
        f" sumIf(complaints, {column} < %(start)s) AS p"
        f" FROM {table} WHERE {' AND '.join(conditions)}"
        f" GROUP BY dimension, tag HAVING n > 0 ORDER BY {rank}, dimension, tag LIMIT %(limit)s",
        params,
    )
    return [HotTag(str(d), str(t), int(n), int(p)) for d, t, n, p in rows]


def branch_tag_matrix(
    executor: ClickHouseExecutor,
    *,
    dimension: str,
    since: Moment,
    until: Moment,
    top_tags: int = 10,
    top_branches: int = 20,
    where: RollupFilter | None = None,
    granularity: Granularity | None = None,
) -> BranchTagMatrix:
    """Complaints per branch and tag for the ``top_tags`` most frequent tags of ``dimension``.

    Only the ``top_branches`` busiest branches (over those tags) are kept; zeros fill the rest.
    """
    if top_tags < 1 or top_branches < 1:
        raise ValueError("top_tags and top_branches must be >= 1")
    granularity = _rollup_for(since, until, granularity)
    column = BUCKET_COLUMNS[granularity]
    conditions, params = (where or RollupFilter()).conditions()
    # Filtered (or by the minute): the full rollup; otherwise the slimmer per-branch one.
    slim = not conditions and granularity in BRANCH_TAGS_TABLES
    table = BRANCH_TAGS_TABLES[granularity] if slim else COUNTS_TABLES[granularity]
    conditions[:0] = ["dimension = %(dimension)s", f"{column} >= %(lo)s", f"{column} < %(hi)s"]
    params.update(
        dimension=dimension,
        lo=floor_to(since, granularity),
        hi=as_utc(until),
        top_tags=int(top_tags),
    )
    scope = " AND ".join(conditions)
    # The top tags come from the per-tag rollup when nothing is filtered (a few thousand rows).
    ranked = TAGS_TABLES[granularity] if slim else table
    rows = executor.execute(
        f"SELECT branch, tag, sum(complaints) AS n FROM {table} WHERE {scope}"
        f" AND tag IN (SELECT tag FROM {ranked} WHERE {scope}"
        "   GROUP BY tag ORDER BY sum(complaints) DESC, tag LIMIT %(top_tags)s)"
        " GROUP BY branch, tag",
        params,
    )
    tag_totals: dict[str, int] = {}
    branch_totals: dict[str, int] = {}
    cells: dict[tuple[str, str], int] = {}
    for branch, tag, count in rows:
        branch, tag, count = str(branch), str(tag), int(count)
        cells[(branch, tag)] = count
        tag_totals[tag] = tag_totals.get(tag, 0) + count
        branch_totals[branch] = branch_totals.get(branch, 0) + count
    tags = sorted(tag_totals, key=lambda t: (-tag_totals[t], t))
    branches = sorted(branch_totals, key=lambda b: (-branch_totals[b], b))[:top_branches]
    counts = [[cells.get((b, t), 0) for t in tags] for b in branches]
    return BranchTagMatrix(dimension, branches, tags, counts)
