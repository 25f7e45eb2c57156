"""The daily summary as a printable HTML page: one self-contained document, no scripts, bilingual.

Rendered with Jinja2 (``api/templates/daily_report.html``) with autoescaping on: alert reasons and
tags can carry customer-derived text. Bars are plain ``div`` widths so the page prints without a
chart library.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

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


def _bar_width(count: int, peak: int) -> int:
    """A bar's width in percent of the busiest hour's."""
    return round(100 * count / peak)


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(percent=_percent, bar_width=_bar_width)
    environment.globals.update(limit_label=limit_label)
    return environment.get_template("daily_report.html")


def render_daily_report(summary: dict[str, Any]) -> str:
    """The page for a :class:`api.routes.exports.DailySummary` dumped as JSON-ready data."""
    zone = ZoneInfo(summary["timezone"])
    peak = max((h["complaints"] for h in summary["per_hour"]), default=0) or 1
    return _template().render(
        s=summary,
        peak=peak,
        style=_STYLE,
        local=lambda value, fmt="%H:%M": _local(value, zone, fmt),
    )
