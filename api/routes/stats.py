"""Analytics for the dashboard and reports: ``GET /api/v1/stats/...`` over the ClickHouse rollups.

Thin views: validate, run one storage query in a worker thread with a pooled executor, map errors
(a bad range is 422 naming the problem, ClickHouse down is 503). Times are ISO 8601 or epoch seconds.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from access.roles import Principal
from api.analytics_models import ComplianceOut, HotTagOut
from api.auth import require
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep, SettingsDep
from api.query_params import Channel, Line, RollupFilterDep
from api.time_ranges import EpochSeconds, Since, Until, time_range
from storage.clickhouse.analytics_deadlines import deadline_compliance, regulator_cases
from storage.clickhouse.analytics_filters import Granularity, RollupFilter
from storage.clickhouse.analytics_series import volume_series
from storage.clickhouse.analytics_topics import branch_tag_matrix, hot_tags

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

#: Volume, hot tags and the branch matrix: the monitoring room (the matrix in access/roles.py).
StatsReader = Depends(require("stats.read"))

#: A tag reference: ``dimension:tag``.
TAG_REF = r"^[^:\s]{1,64}:[^\s]{1,128}$"
MAX_TAGS = 20


def _parse_tags(refs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["d:t1", "d:t2"]`` -> ``{"d": ("t1", "t2")}``.

    >>> _parse_tags(["cause:fees", "cause:rude", "product:card"])
    {'cause': ('fees', 'rude'), 'product': ('card',)}
    """
    tags: dict[str, list[str]] = {}
    for ref in refs:
        dimension, _, tag = ref.partition(":")
        tags.setdefault(dimension, []).append(tag)
    return {d: tuple(t) for d, t in tags.items()}


# -- volume over time ---------------------------------------------------------------------------------
class SeriesOut(BaseModel):
    dimension: str | None = Field(description="None for the all-complaints series.")
    tag: str | None = Field(description="None: every complaint; `regulator_forwarded`: those forwarded.")
    counts: list[int]
    total: int


class VolumeOut(BaseModel):
    granularity: Granularity
    since: datetime
    until: datetime
    buckets: list[float] = Field(description="Bucket start times, epoch seconds (UTC).")
    series: list[SeriesOut]


@router.get("/volume", response_model=VolumeOut, dependencies=[StatsReader])
async def volume(
    pool: ClickHouseDep,
    where: RollupFilterDep,
    since: Since = None,
    until: Until = None,
    tag: Annotated[
        list[Annotated[str, Query(pattern=TAG_REF)]] | None,
        Query(description="`dimension:tag`, repeatable; none: all complaints.", max_length=MAX_TAGS),
    ] = None,
    granularity: Annotated[
        Granularity | None, Query(description="Default from the range: minute <= 6 h, hour <= 7 d, day.")
    ] = None,
) -> VolumeOut:
    """Complaints per bucket for each tag asked for (or in total), zeros included (default: 6 h)."""
    start, end = time_range(since, until, timedelta(hours=6))
    result = await run_query(
        pool,
        volume_series,
        since=start,
        until=end,
        tags=_parse_tags(tag or []),
        where=where,
        granularity=granularity,
    )
    return VolumeOut(
        granularity=result.granularity,
        since=start,
        until=end,
        buckets=[b.timestamp() for b in result.buckets],
        series=[
            SeriesOut(dimension=s.dimension, tag=s.tag, counts=s.counts, total=s.total) for s in result.series
        ],
    )


# -- hot topics ---------------------------------------------------------------------------------------
class HotTagsOut(BaseModel):
    since: datetime
    until: datetime
    tags: list[HotTagOut]


@router.get("/hot-tags", response_model=HotTagsOut, dependencies=[StatsReader])
async def hot(
    pool: ClickHouseDep,
    where: RollupFilterDep,
    since: Since = None,
    until: Until = None,
    dimension: Annotated[str | None, Query(max_length=64, description="Default: every dimension.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    order: Annotated[
        Literal["count", "growth"], Query(description="Rank by count or by increase.")
    ] = "count",
) -> HotTagsOut:
    """Top tags in the range (default: the last hour) with growth against the period before."""
    start, end = time_range(since, until, timedelta(hours=1))
    rows = await run_query(
        pool,
        hot_tags,
        since=start,
        until=end,
        dimension=dimension,
        limit=limit,
        order=order,
        where=where,
    )
    return HotTagsOut(
        since=start,
        until=end,
        tags=[HotTagOut.model_validate(h) for h in rows],
    )


# -- branch x tag ---------------------------------------------------------------------------------------
class MatrixOut(BaseModel):
    dimension: str
    since: datetime
    until: datetime
    branches: list[str]
    tags: list[str]
    counts: list[list[int]] = Field(description="counts[i][j]: complaints at branches[i] tagged tags[j].")


@router.get("/branch-tag-matrix", response_model=MatrixOut, dependencies=[StatsReader])
async def matrix(
    pool: ClickHouseDep,
    dimension: Annotated[str, Query(min_length=1, max_length=64)],
    since: Since = None,
    until: Until = None,
    top_tags: Annotated[int, Query(ge=1, le=50)] = 10,
    top_branches: Annotated[int, Query(ge=1, le=200)] = 20,
    channel: Channel = None,
    line: Line = None,
) -> MatrixOut:
    """Complaints per branch for the most frequent tags of ``dimension`` (default: the last 24 h)."""
    start, end = time_range(since, until, timedelta(hours=24))
    result = await run_query(
        pool,
        branch_tag_matrix,
        dimension=dimension,
        since=start,
        until=end,
        top_tags=top_tags,
        top_branches=top_branches,
        where=RollupFilter(channel=channel, line=line),
    )
    return MatrixOut(
        dimension=dimension,
        since=start,
        until=end,
        branches=result.branches,
        tags=result.tags,
        counts=result.counts,
    )


# -- deadlines --------------------------------------------------------------------------------------------
class CompliancesOut(BaseModel):
    since: datetime
    until: datetime
    regulator_only: bool
    deadlines: list[ComplianceOut]


@router.get("/deadline-compliance", response_model=CompliancesOut)
async def compliance(
    pool: ClickHouseDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require("compliance.read"))],
    since: Since = None,
    until: Until = None,
    regulator_only: bool = False,
) -> CompliancesOut:
    """Share of complaints (received in the range; default 30 days) responded to within 60 min,
    resolved within 48 h and closed (decided) within 15 days (or their extended limit).
    The regulator desk always gets the regulator-forwarded figures."""
    regulator_only = regulator_only or principal.regulator_only
    start, end = time_range(since, until, timedelta(days=30))
    figures = await run_query(
        pool,
        deadline_compliance,
        since=start,
        until=end,
        now=time.time(),
        regulator_only=regulator_only,
        time_scale=settings.deadline_time_scale,
    )
    return CompliancesOut(
        since=start,
        until=end,
        regulator_only=regulator_only,
        deadlines=[ComplianceOut.model_validate(f) for f in figures],
    )


class DeadlineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # of analytics_deadlines.DeadlineState

    kind: Literal["responded", "resolved", "closed"]
    target_s: int
    due_at: EpochSeconds
    reached_at: EpochSeconds | None
    state: Literal["met", "late", "breached", "warning", "paused", "open"]
    remaining_s: float = Field(description="Seconds left (negative: overdue); for a reached one, the margin.")


class RegulatorCaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # of analytics_deadlines.RegulatorCase

    event_id: str
    regulator_ref: str
    received_at: EpochSeconds
    channel: str
    branch: str
    excerpt: str = Field(description="The start of the complaint text (customer text: show as text).")
    tags: list[str]
    deadlines: list[DeadlineOut]


class RegulatorCasesOut(BaseModel):
    now: float
    cases: list[RegulatorCaseOut]


@router.get(
    "/regulator-cases", response_model=RegulatorCasesOut, dependencies=[Depends(require("regulator.read"))]
)
async def regulator(
    pool: ClickHouseDep,
    settings: SettingsDep,
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> RegulatorCasesOut:
    """Regulator-forwarded complaints (default: the last 60 days), newest first, with deadline states."""
    now = time.time()
    start, _ = time_range(since, None, timedelta(days=60))
    cases = await run_query(
        pool,
        regulator_cases,
        since=start,
        now=now,
        limit=limit,
        time_scale=settings.deadline_time_scale,
    )
    return RegulatorCasesOut(
        now=now,
        cases=[RegulatorCaseOut.model_validate(c) for c in cases],
    )
