"""Alert history in ClickHouse: archive stream entries, list alerts as they stand, one alert's events.

The alert's current state is the row with the highest ``version`` per ``alert_id``; filters on the
state (status, severity, role...) apply after that row is picked, so an alert acknowledged a minute
ago is not listed as open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from alerts.routing import audiences_of
from storage.clickhouse.alert_schema import ALERT_EVENT_COLUMNS
from storage.clickhouse.analytics_filters import equal_conditions
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["MAX_LIST", "alert_event_row", "alert_history", "insert_alert_events", "list_alerts"]

#: Most alerts one list query returns.
MAX_LIST = 1000
#: Seq part of a stream id as the low digits of ``version`` (a Redis stream seq stays far below).
_SEQ_SPACE = 1_000_000

_SEVERITIES = ("info", "warning", "critical")

# Mirrors alerts.routing.audiences_of (tests check they agree).
_ROLE_SQL = {
    "monitoring": "1",
    "regulator_desk": "(regulator = 1 OR has(audiences, 'regulator_desk'))",
    "oncall": "(severity = 'critical' OR escalated = 1 OR has(audiences, 'oncall'))",
}


def _version(stream_id: str) -> int:
    ms, _, seq = stream_id.partition("-")
    return int(ms) * _SEQ_SPACE + int(seq or 0)


def _utc(ts: float | None) -> datetime:
    return datetime.fromtimestamp(float(ts or 0.0), tz=UTC)


def alert_event_row(stream_id: str, event: str, alert: Mapping[str, Any]) -> tuple[Any, ...]:
    """The ``alert_events`` row (in :data:`ALERT_EVENT_COLUMNS` order) for one stream entry."""
    values = {
        "alert_id": str(alert["alert_id"]),
        "version": _version(stream_id),
        "stream_id": stream_id,
        "event": event,
        "event_at": _utc(int(stream_id.partition("-")[0]) / 1000.0),
        "rule_id": str(alert.get("rule_id", "")),
        "kind": str(alert.get("kind", "")),
        "severity": str(alert.get("severity", "")),
        "status": str(alert.get("status") or "open"),
        "regulator": int(bool(alert.get("regulator"))),
        "escalated": int(alert.get("escalated_at") is not None),
        "audiences": sorted(audiences_of(alert)),
        "title": str(alert.get("title", "")),
        "reason": str(alert.get("reason", "")),
        "dimension": str(alert.get("dimension") or ""),
        "tag": str(alert.get("tag") or ""),
        "complaint_id": str(alert.get("complaint_id") or ""),
        "call_id": str(alert.get("call_id") or ""),
        "occurrences": int(alert.get("occurrences") or 1),
        "fired_at": _utc(alert.get("fired_at")),
        "acked_by": str(alert.get("acked_by") or ""),
        "payload": orjson.dumps(dict(alert)).decode(),
    }
    return tuple(values[column] for column in ALERT_EVENT_COLUMNS)


def insert_alert_events(
    executor: ClickHouseExecutor, entries: Iterable[tuple[str, str, Mapping[str, Any]]]
) -> int:
    """Archive ``(stream_id, event, alert payload)`` entries; returns how many rows were sent."""
    rows = [alert_event_row(stream_id, event, alert) for stream_id, event, alert in entries]
    executor.insert("alert_events", ALERT_EVENT_COLUMNS, rows)
    return len(rows)


def list_alerts(
    executor: ClickHouseExecutor,
    *,
    since: float,
    until: float | None = None,
    status: Sequence[str] = (),
    min_severity: str = "info",
    kind: str | None = None,
    rule_id: str | None = None,
    role: str | None = None,
    complaint_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Alerts fired in ``[since, until)`` as they stand now (newest first), each with ``last_event``.

    ``role`` keeps what that audience sees (:func:`alerts.routing.audiences_of`); ``status`` any of
    ``open``, ``acknowledged``, ``resolved``.
    """
    if min_severity not in _SEVERITIES:
        raise ValueError(f"min_severity must be one of {_SEVERITIES}")
    if role is not None and role not in _ROLE_SQL:
        raise ValueError(f"role must be one of {tuple(_ROLE_SQL)}")
    params: dict[str, object] = {
        "since": _utc(since),
        "until": _utc(until) if until is not None else datetime(2105, 1, 1, tzinfo=UTC),
        "severities": _SEVERITIES[_SEVERITIES.index(min_severity) :],
        "limit": max(1, min(int(limit), MAX_LIST)),
    }
    outer = ["severity IN %(severities)s", _ROLE_SQL[role or "monitoring"]]
    if status:
        outer.append("status IN %(status)s")
        params["status"] = tuple(status)
    equal_conditions(outer, params, kind=kind, rule_id=rule_id, complaint_id=complaint_id)
    rows = executor.execute(
        "SELECT payload, event, stream_id FROM ("
        " SELECT alert_id, payload, event, stream_id, status, severity, regulator, escalated, audiences,"
        " kind, rule_id, complaint_id, fired_at FROM alert_events"
        " WHERE fired_at >= %(since)s AND fired_at < %(until)s"
        " ORDER BY alert_id, version DESC LIMIT 1 BY alert_id"
        f") WHERE {' AND '.join(outer)} ORDER BY fired_at DESC, alert_id LIMIT %(limit)s",
        params,
    )
    return [{**orjson.loads(payload), "last_event": event, "stream_id": sid} for payload, event, sid in rows]


def alert_history(executor: ClickHouseExecutor, alert_id: str) -> list[dict[str, Any]]:
    """Every archived event of one alert, oldest first: ``{"stream_id", "event", "alert"}``."""
    rows = executor.execute(
        "SELECT stream_id, event, payload FROM alert_events WHERE alert_id = %(id)s"
        " ORDER BY version LIMIT 1 BY version",
        {"id": alert_id},
    )
    return [{"stream_id": s, "event": event, "alert": orjson.loads(payload)} for s, event, payload in rows]
