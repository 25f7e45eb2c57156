"""Exports: complaints and alerts as streamed CSV, and the daily summary as JSON or a printable page.

CSV is written page by page (an hour of complaints per ClickHouse query), so a month's export
never sits in memory. Cells that a spreadsheet would run as a formula (starting with ``= + - @``)
get a leading apostrophe: complaint text is customer input. Customer hashes are never exported.
The regulator desk's exports hold only regulator-forwarded complaints and regulator alerts, whatever
the query asks (forced here, on the server).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from access.roles import Principal, audience_for
from api.analytics_models import ComplianceOut, HotTagOut
from api.audit import AuditDep
from api.auth import forbidden, require
from api.clickhouse_pool import run_query
from api.daily_report_page import render_daily_report
from api.deps import ClickHouseDep, SettingsDep
from api.query_params import RollupFilterDep
from api.time_ranges import Day, invalid_query, time_range
from storage.clickhouse.alert_queries import MAX_LIST, list_alerts
from storage.clickhouse.analytics_exports import EXPORT_COLUMNS, complaint_rows, daily_figures, time_slices
from storage.clickhouse.analytics_pool import ExecutorPool

__all__ = ["DailySummary", "router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["exports"])

Exporter = Annotated[Principal, Depends(require("exports.read"))]
ReportReader = Depends(require("reports.read"))

#: Longest range one export may cover.
MAX_EXPORT = timedelta(days=92)
#: Alerts are paged by the hour too; an hour with more than MAX_LIST alerts is cut (and logged).
ALERT_PAGE = timedelta(hours=1)
ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id",
    "fired_at",
    "severity",
    "status",
    "kind",
    "rule_id",
    "title",
    "reason",
    "dimension",
    "tag",
    "group",
    "count",
    "occurrences",
    "acked_by",
    "acked_at",
    "resolved_at",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula.

    Examples
    --------
    >>> _cell("=HYPERLINK(1)"), _cell("ok"), _cell(-3)
    ("'=HYPERLINK(1)", 'ok', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _export_range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    start, end = time_range(since, until, timedelta(hours=24))
    if end - start > MAX_EXPORT:
        raise invalid_query("since", f"an export covers at most {MAX_EXPORT.days} days")
    return start, end


def _stream_csv(
    header: tuple[str, ...],
    pages: Callable[[], AsyncIterator[list[tuple[Any, ...]]]],
    filename: str,
    exported: Callable[[int, bool], Awaitable[None]],
) -> StreamingResponse:
    """The CSV response; ``exported(rows, complete)`` is called once the body ends, however it ends
    (what was sent is out, so a cut export is recorded too)."""

    async def body() -> AsyncIterator[str]:
        sent, complete = 0, False
        try:
            yield "\ufeff" + _csv([header])  # BOM: Excel then reads the Chinese text as UTF-8
            async for rows in pages():
                sent += len(rows)
                yield _csv(rows)
            complete = True
        finally:  # shielded: a client that went away cancels the body, not the record of it
            await asyncio.shield(exported(sent, complete))

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV (UTF-8 with BOM)", "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@router.get("/exports/complaints.csv", response_class=StreamingResponse, responses=_CSV_DOC)
async def export_complaints(
    request: Request,
    pool: ClickHouseDep,
    where: RollupFilterDep,
    principal: Exporter,
    audit: AuditDep,
    since: Annotated[datetime | None, Query(description="Received at or after (default 24 h ago).")] = None,
    until: Annotated[datetime | None, Query(description="Received before (default now).")] = None,
    dimension: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=128)] = None,
    regulator_only: bool = False,
) -> StreamingResponse:
    """Complaints received in the range as CSV (UTF-8 with BOM), oldest first; no customer hashes."""
    start, end = _export_range(since, until)
    filters = {
        "where": where,
        "dimension": dimension,
        "tag": tag,
        "regulator_only": regulator_only or principal.regulator_only,
    }

    async def pages() -> AsyncIterator[list[tuple[Any, ...]]]:
        for lo, hi in time_slices(start, end):
            rows = await _page(pool, complaint_rows, since=lo, until=hi, **filters)
            if rows:
                yield [tuple(row[c] for c in EXPORT_COLUMNS) for row in rows]

    async def exported(rows: int, complete: bool) -> None:
        asked = {
            "channel": where.channel,
            "branch": where.branch,
            "line": where.line,
            "dimension": dimension,
            "tag": tag,
        }
        detail = {k: v for k, v in asked.items() if v is not None} | {
            "since": start.isoformat(),
            "until": end.isoformat(),
            "regulator_only": filters["regulator_only"],
            "rows": rows,
            "complete": complete,
        }
        await audit(principal, "export.complaints", _asked(request), detail)

    filename = f"complaints-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}.csv"
    return _stream_csv(EXPORT_COLUMNS, pages, filename, exported)


def _asked(request: Request) -> str:
    """The export as asked: path and query string (the audit trail's target)."""
    return f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path


async def _page(pool: ExecutorPool, fn: Callable[..., list[Any]], **kwargs: Any) -> list[Any]:
    """One page mid-stream: the status line is sent already, so a failure can only end the body."""
    try:
        return await asyncio.to_thread(pool.run, fn, **kwargs)
    except Exception:
        log.exception("export page %s failed", kwargs.get("since"))
        raise


def _alert_row(alert: dict[str, Any]) -> tuple[Any, ...]:
    group = alert.get("group") or {}
    values = {
        **alert,
        "fired_at": _iso(alert.get("fired_at")),
        "acked_at": _iso(alert.get("acked_at")),
        "resolved_at": _iso(alert.get("resolved_at")),
        "group": ";".join(f"{k}={v}" for k, v in sorted(group.items()) if v is not None),
    }
    return tuple(values.get(column, "") if values.get(column) is not None else "" for column in ALERT_COLUMNS)


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), tz=UTC).isoformat() if epoch else ""


@router.get("/exports/alerts.csv", response_class=StreamingResponse, responses=_CSV_DOC)
async def export_alerts(
    request: Request,
    pool: ClickHouseDep,
    principal: Exporter,
    audit: AuditDep,
    since: Annotated[datetime | None, Query(description="Fired at or after (default 24 h ago).")] = None,
    until: Annotated[datetime | None, Query(description="Fired before (default now).")] = None,
    role: Annotated[
        Literal["monitoring", "regulator_desk", "oncall"] | None,
        Query(description="Whose alerts (default and limit: the token's role)."),
    ] = None,
    min_severity: Annotated[Literal["info", "warning", "critical"], Query()] = "info",
    alert_status: Annotated[
        list[Literal["open", "acknowledged", "resolved"]] | None, Query(alias="status")
    ] = None,
) -> StreamingResponse:
    """Alerts fired in the range as they stand now, as CSV, oldest first."""
    audience = audience_for(principal.role, role)
    if audience is None:
        raise forbidden(f"role {principal.role!r} may not export the {role!r} alerts")
    start, end = _export_range(since, until)

    async def pages() -> AsyncIterator[list[tuple[Any, ...]]]:
        for lo, hi in time_slices(start, end, ALERT_PAGE):
            alerts = await _page(
                pool,
                list_alerts,
                since=lo.timestamp(),
                until=hi.timestamp(),
                status=tuple(alert_status or ()),
                min_severity=min_severity,
                role=audience,
                limit=MAX_LIST,
            )
            if len(alerts) >= MAX_LIST:
                log.warning("alert export: more than %d alerts in the hour from %s, cut", MAX_LIST, lo)
            if alerts:
                yield [_alert_row(a) for a in reversed(alerts)]

    async def exported(rows: int, complete: bool) -> None:
        detail = {
            "since": start.isoformat(),
            "until": end.isoformat(),
            "role": audience,
            "min_severity": min_severity,
            "status": list(alert_status or ()),
            "rows": rows,
            "complete": complete,
        }
        await audit(principal, "export.alerts", _asked(request), detail)

    filename = f"alerts-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}.csv"
    return _stream_csv(ALERT_COLUMNS, pages, filename, exported)


# -- daily summary ----------------------------------------------------------------------------------------
class HourCount(BaseModel):
    hour: datetime
    complaints: int


class ChannelCount(BaseModel):
    channel: str
    complaints: int


class AlertBrief(BaseModel):
    alert_id: str
    fired_at: float
    severity: str
    status: str | None = None
    title: str
    reason: str
    tag: str | None = None


class DailySummary(BaseModel):
    """A day's figures (the day in ``HOTLINE_REPORT_TIMEZONE``)."""

    date: date
    timezone: str
    since: datetime
    until: datetime
    generated_at: datetime
    complaints: int
    regulator_forwarded: int
    per_hour: list[HourCount]
    per_channel: list[ChannelCount]
    top_tags: list[HotTagOut] = Field(description="Against the day before.")
    compliance: list[ComplianceOut] = Field(description="Of the day's complaints, as of now.")
    alerts_by_severity: dict[str, int]
    alerts: list[AlertBrief] = Field(description="Up to 50: critical first, then newest.")


async def _daily_summary(
    pool: ExecutorPool, timezone: str, day: date | None, *, time_scale: float
) -> DailySummary:
    zone = ZoneInfo(timezone)
    today = datetime.now(zone).date()
    day = day or today
    if day > today:
        raise invalid_query("day", f"{day} is in the future")
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    end = start + timedelta(days=1)
    figures = await run_query(
        pool, daily_figures, since=start, until=end, now=time.time(), time_scale=time_scale
    )
    alerts = await run_query(
        pool, list_alerts, since=start.timestamp(), until=end.timestamp(), limit=MAX_LIST
    )
    by_severity: dict[str, int] = {}
    for alert in alerts:
        by_severity[alert.get("severity", "info")] = by_severity.get(alert.get("severity", "info"), 0) + 1
    severity_rank = {"critical": 0, "warning": 1, "info": 2}
    notable = sorted(
        alerts, key=lambda a: (severity_rank.get(a.get("severity"), 3), -float(a.get("fired_at", 0)))
    )
    return DailySummary(
        date=day,
        timezone=timezone,
        since=start,
        until=end,
        generated_at=datetime.now(UTC),
        complaints=figures.complaints,
        regulator_forwarded=figures.regulator_forwarded,
        per_hour=[HourCount(hour=hour, complaints=n) for hour, n in figures.per_hour],
        per_channel=[ChannelCount(channel=channel, complaints=n) for channel, n in figures.per_channel],
        top_tags=[HotTagOut.model_validate(t) for t in figures.top_tags],
        compliance=[ComplianceOut.model_validate(c) for c in figures.compliance],
        alerts_by_severity=by_severity,
        alerts=[
            AlertBrief(
                alert_id=str(a.get("alert_id", "")),
                fired_at=float(a.get("fired_at") or 0),
                severity=str(a.get("severity", "")),
                status=a.get("status"),
                title=str(a.get("title", "")),
                reason=str(a.get("reason", "")),
                tag=a.get("tag"),
            )
            for a in notable[:50]
        ],
    )


@router.get("/reports/daily", response_model=DailySummary, dependencies=[ReportReader])
async def daily_summary(pool: ClickHouseDep, settings: SettingsDep, day: Day = None) -> DailySummary:
    """The day's volume (per hour, per channel), top tags against the day before, alerts (surges
    included) and deadline compliance of the day's complaints as of now."""
    return await _daily_summary(pool, settings.report_timezone, day, time_scale=settings.deadline_time_scale)


@router.get("/reports/daily.html", response_class=HTMLResponse, dependencies=[ReportReader])
async def daily_summary_page(pool: ClickHouseDep, settings: SettingsDep, day: Day = None) -> HTMLResponse:
    """The daily summary as a self-contained printable page (bilingual, no scripts)."""
    summary = await _daily_summary(
        pool, settings.report_timezone, day, time_scale=settings.deadline_time_scale
    )
    return HTMLResponse(
        render_daily_report(summary.model_dump(mode="json")),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
