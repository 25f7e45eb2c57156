"""Analytics for the dashboard and reports: ``GET /api/v1/stats/...`` over the ClickHouse rollups.

Thin views: validate, run one storage query in a worker thread with a pooled executor, map errors
(a bad range is 422 naming the problem, ClickHouse down is 503). Times are ISO 8601 or epoch seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from access.roles import Principal
from api.auth import require
from api.deps import SettingsDep
from api.time_ranges import Since, Until, invalid_query, time_range
from storage.clickhouse import DriverExecutor, apply_migrations
from storage.clickhouse.analytics_deadlines import deadline_compliance, regulator_cases
from storage.clickhouse.analytics_filters import Granularity, RollupFilter
from storage.clickhouse.analytics_pool import ExecutorPool
from storage.clickhouse.analytics_series import volume_series
from storage.clickhouse.analytics_topics import branch_tag_matrix, hot_tags

__all__ = ["StatsPoolDep", "parse_tags", "router", "run_query"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

#: Volume, hot tags and the branch matrix: the monitoring room (the matrix in access/roles.py).
StatsReader = Depends(require("stats.read"))

R = TypeVar("R")
#: A tag reference: ``dimension:tag``.
TAG_REF = r"^[^:\s]{1,64}:[^\s]{1,128}$"
MAX_TAGS = 20


def _pool(request: Request) -> ExecutorPool:
    """The stats' ClickHouse pool, made on first use (one executor per concurrent query)."""
    pool = getattr(request.app.state, "stats_clickhouse", None)
    if pool is None:
        settings = request.app.state.settings
        pool = ExecutorPool(partial(_connect, settings.clickhouse_url, set()), settings.stats_pool_size)
        request.app.state.stats_clickhouse = pool
    return pool


def _connect(url: str, migrated: set[str]) -> DriverExecutor:
    """An executor on a database with the current schema: the first connection applies the
    migrations (idempotent, as workers do at start), so the stats answer before any worker ran."""
    executor = DriverExecutor.from_url(url)
    if url not in migrated:
        try:
            apply_migrations(executor)
        except Exception:
            executor.close()
            raise
        migrated.add(url)
    return executor


StatsPoolDep = Annotated[ExecutorPool, Depends(_pool)]


async def run_query(pool: ExecutorPool, fn: Callable[..., R], **kwargs: Any) -> R:
    """``fn(executor, **kwargs)`` in a thread; ValueError -> 422, anything else from ClickHouse -> 503."""
    try:
        return await asyncio.to_thread(pool.run, fn, **kwargs)
    except ValueError as exc:
        raise invalid_query(None, str(exc)) from exc
    except Exception as exc:
        log.warning("analytics query %s failed: %r", getattr(fn, "__name__", fn), exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "ClickHouse is unavailable") from exc


def parse_tags(refs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["d:t1", "d:t2"]`` -> ``{"d": ("t1", "t2")}``."""
    tags: dict[str, list[str]] = {}
    for ref in refs:
        dimension, _, tag = ref.partition(":")
        tags.setdefault(dimension, []).append(tag)
    return {d: tuple(t) for d, t in tags.items()}


Channel = Annotated[str | None, Query(max_length=64)]
Branch = Annotated[str | None, Query(max_length=64)]
Line = Annotated[str | None, Query(max_length=64)]


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
    pool: StatsPoolDep,
    since: Since = None,
    until: Until = None,
    tag: Annotated[
        list[Annotated[str, Query(pattern=TAG_REF)]] | None,
        Query(description="`dimension:tag`, repeatable; none: all complaints.", max_length=MAX_TAGS),
    ] = None,
    channel: Channel = None,
    branch: Branch = None,
    line: Line = None,
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
        tags=parse_tags(tag or []),
        where=RollupFilter(channel, branch, line),
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
class HotTagOut(BaseModel):
    dimension: str
    tag: str
    count: int
    previous: int = Field(description="Count in the period of the same length just before.")
    growth: float | None = Field(description="(count - previous) / previous; null when previous is 0.")


class HotTagsOut(BaseModel):
    since: datetime
    until: datetime
    tags: list[HotTagOut]


@router.get("/hot-tags", response_model=HotTagsOut, dependencies=[StatsReader])
async def hot(
    pool: StatsPoolDep,
    since: Since = None,
    until: Until = None,
    dimension: Annotated[str | None, Query(max_length=64, description="Default: every dimension.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    order: Annotated[
        Literal["count", "growth"], Query(description="Rank by count or by increase.")
    ] = "count",
    channel: Channel = None,
    branch: Branch = None,
    line: Line = None,
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
        where=RollupFilter(channel, branch, line),
    )
    return HotTagsOut(
        since=start,
        until=end,
        tags=[
            HotTagOut(dimension=h.dimension, tag=h.tag, count=h.count, previous=h.previous, growth=h.growth)
            for h in rows
        ],
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
    pool: StatsPoolDep,
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
class ComplianceOut(BaseModel):
    kind: Literal["responded", "resolved", "closed"]
    target_s: int
    received: int
    met: int
    late: int
    overdue: int = Field(description="Past the target without the milestone.")
    share: float | None = Field(description="met / (met + late + overdue); null when nothing is due yet.")


class CompliancesOut(BaseModel):
    since: datetime
    until: datetime
    regulator_only: bool
    deadlines: list[ComplianceOut]


@router.get("/deadline-compliance", response_model=CompliancesOut)
async def compliance(
    pool: StatsPoolDep,
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
        deadlines=[
            ComplianceOut(
                kind=f.kind,  # type: ignore[arg-type]
                target_s=f.target_s,
                received=f.received,
                met=f.met,
                late=f.late,
                overdue=f.overdue,
                share=f.share,
            )
            for f in figures
        ],
    )


class DeadlineOut(BaseModel):
    kind: Literal["responded", "resolved", "closed"]
    target_s: int
    due_at: float
    reached_at: float | None
    state: Literal["met", "late", "breached", "warning", "paused", "open"]
    remaining_s: float = Field(description="Seconds left (negative: overdue); for a reached one, the margin.")


class RegulatorCaseOut(BaseModel):
    event_id: str
    regulator_ref: str
    received_at: float
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
    pool: StatsPoolDep,
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
        cases=[
            RegulatorCaseOut(
                event_id=c.event_id,
                regulator_ref=c.regulator_ref,
                received_at=c.received_at.timestamp(),
                channel=c.channel,
                branch=c.branch,
                excerpt=c.excerpt,
                tags=c.tags,
                deadlines=[
                    DeadlineOut(
                        kind=d.kind,  # type: ignore[arg-type]
                        target_s=d.target_s,
                        due_at=d.due_at.timestamp(),
                        reached_at=d.reached_at.timestamp() if d.reached_at else None,
                        state=d.state,
                        remaining_s=d.remaining_s,
                    )
                    for d in c.deadlines
                ],
            )
            for c in cases
        ],
    )
