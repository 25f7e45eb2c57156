"""The daily summary as a printable HTML page: one self-contained document, no scripts, bilingual.

Every value goes through :func:`html.escape` (alert reasons and tags can carry customer-derived
text); bars are plain ``div`` widths so the page prints without a chart library.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["render_daily_report"]

_KIND_LABELS = {
    "responded": ("首次响应", "First response"),
    "resolved": ("解决", "Resolved"),
    "closed": ("处理决定", "Decided"),
}
#: (seconds per unit, smallest count shown in that unit, zh unit, en unit), largest unit first.
_LIMIT_UNITS = ((86_400, 3, "天", "days"), (3_600, 2, "小时", "h"), (60, 1, "分钟", "min"))
_STYLE = """
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", system-ui, sans-serif; margin: 24px;
       color: #111; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 2px solid #333; }
.meta { color: #555; font-size: 13px; } table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #2563eb; height: 10px; } .kpi { display: inline-block; margin-right: 32px; }
.kpi { vertical-align: top; } .kpi b { display: block; font-size: 28px; }
.critical { color: #b91c1c; font-weight: 600; }
.warning { color: #b45309; } .info { color: #0369a1; }
@media print { body { margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _t(zh: str, en: str) -> str:
    return f"{escape(zh)} · {escape(en)}"


def limit_label(kind: str, target_s: int) -> tuple[str, str]:
    """A milestone with its limit, as the figure was judged (the demo's clock runs faster).

    Examples
    --------
    >>> limit_label("responded", 3600), limit_label("closed", 15 * 86400)
    (('首次响应 ≤ 60 分钟', 'First response within 60 min'), ('处理决定 ≤ 15 天', 'Decided within 15 days'))
    >>> limit_label("resolved", 2880)  # 48 h on the demo's 60x clock
    ('解决 ≤ 48 分钟', 'Resolved within 48 min')
    """
    zh, en = _KIND_LABELS.get(kind, (kind, kind))
    for unit_s, least, zh_unit, en_unit in _LIMIT_UNITS:
        if target_s % unit_s == 0 and target_s // unit_s >= least:
            count = target_s // unit_s
            return f"{zh} ≤ {count} {zh_unit}", f"{en} within {count} {en_unit}"
    return f"{zh} ≤ {target_s} 秒", f"{en} within {target_s} s"


def _head(*cells: tuple[str, str] | tuple[str, str, int]) -> str:
    """A header row; a third item 1 right-aligns a numeric column."""
    row = "".join(
        f"<th{' class=n' if len(cell) > 2 else ''}>{_t(cell[0], cell[1]) if cell[0] else ''}</th>"
        for cell in cells
    )
    return f"<tr>{row}</tr>"


def _local(iso: str | float | None, zone: ZoneInfo, fmt: str = "%H:%M") -> str:
    if iso is None or iso == "":
        return ""
    moment = (
        datetime.fromtimestamp(float(iso), zone)
        if isinstance(iso, int | float)
        else datetime.fromisoformat(iso)
    )
    return moment.astimezone(zone).strftime(fmt)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def render_daily_report(summary: dict[str, Any]) -> str:
    """The page for a :class:`api.routes.exports.DailySummary` dumped as JSON-ready data."""
    zone = ZoneInfo(summary["timezone"])
    peak = max((h["complaints"] for h in summary["per_hour"]), default=0) or 1
    hours = "".join(
        f"<tr><td>{escape(_local(h['hour'], zone))}</td><td class=n>{h['complaints']}</td>"
        f'<td><div class=bar style="width:{round(100 * h["complaints"] / peak)}%"></div></td></tr>'
        for h in summary["per_hour"]
    )
    channels = "".join(
        f"<tr><td>{escape(c['channel'])}</td><td class=n>{c['complaints']}</td></tr>"
        for c in summary["per_channel"]
    )
    tags = "".join(
        f"<tr><td>{escape(t['dimension'])}</td><td>{escape(t['tag'])}</td><td class=n>{t['count']}</td>"
        f"<td class=n>{t['previous']}</td><td class=n>{_percent(t['growth'])}</td></tr>"
        for t in summary["top_tags"]
    )
    compliance = "".join(
        f"<tr><td>{_t(*limit_label(c['kind'], int(c['target_s'])))}</td>"
        f"<td class=n>{_percent(c['share'])}</td>"
        f"<td class=n>{c['met']}</td><td class=n>{c['late']}</td><td class=n>{c['overdue']}</td></tr>"
        for c in summary["compliance"]
    )
    alerts = "".join(
        f"<tr><td>{escape(_local(a['fired_at'], zone))}</td>"
        f"<td class={escape(str(a['severity']))}>{escape(str(a['severity']))}</td>"
        f"<td>{escape(str(a['title']))}</td><td>{escape(str(a['reason']))}</td>"
        f"<td>{escape(str(a.get('status') or ''))}</td></tr>"
        for a in summary["alerts"]
    )
    severities = (
        ", ".join(f"{escape(k)}: {v}" for k, v in sorted(summary["alerts_by_severity"].items())) or "0"
    )
    empty = f"<tr><td colspan=5>{_t('无', 'none')}</td></tr>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{_t("投诉日报", "Daily complaint summary")} {escape(summary["date"])}</title>
<style>{_STYLE}</style></head><body>
<h1>{_t("投诉日报", "Daily complaint summary")} — {escape(summary["date"])}</h1>
<div class=meta>{escape(summary["timezone"])} · {_t("生成于", "generated")}
{escape(_local(summary["generated_at"], zone, "%Y-%m-%d %H:%M"))}</div>
<h2>{_t("概况", "Overview")}</h2>
<div class=kpi>{_t("投诉量", "Complaints")}<b>{summary["complaints"]}</b></div>
<div class=kpi>{_t("监管转办", "Regulator-forwarded")}<b>{summary["regulator_forwarded"]}</b></div>
<div class=kpi>{_t("告警", "Alerts")}<b>{len(summary["alerts"])}</b><span class=meta>{severities}</span></div>
<h2>{_t("时段分布", "Volume per hour")}</h2>
<table>{_head(("时段", "hour"), ("数量", "count", 1), ("", ""))}{hours or empty}</table>
<h2>{_t("渠道", "Channels")}</h2>
<table>{_head(("渠道", "channel"), ("数量", "count", 1))}{channels or empty}</table>
<h2>{_t("热点标签", "Top tags")}</h2>
<table>{
        _head(
            ("维度", "dimension"),
            ("标签", "tag"),
            ("当日", "day", 1),
            ("前一日", "day before", 1),
            ("增长", "growth", 1),
        )
    }{tags or empty}</table>
<h2>{_t("时限达标率", "Deadline compliance")}</h2>
<table>{
        _head(
            ("时限", "deadline"),
            ("达标率", "share met", 1),
            ("达标", "met", 1),
            ("逾期完成", "late", 1),
            ("逾期未办", "overdue", 1),
        )
    }{compliance or empty}</table>
<h2>{_t("激增与告警", "Surges and alerts")}</h2>
<table>{
        _head(
            ("时间", "time"), ("级别", "severity"), ("标题", "title"), ("原因", "reason"), ("状态", "status")
        )
    }{alerts or empty}</table>
</body></html>
"""
