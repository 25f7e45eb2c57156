"""Alerts: the live feed (``WS /ws/alerts``, resumable, filtered per role), the list, ack and resolve.

The feed sends one message per event in an alert's life, ``{"stream_id", "event", "alert"}``:
``fired`` (new), ``updated`` (a repeat: ``alert.occurrences`` went up), ``acknowledged``,
``resolved``, ``escalated``. ``alert`` is the whole alert as it stands after the event, so a
client keeps a map by ``alert.alert_id`` and replaces the entry. A client that reconnects with the
last ``stream_id`` it saw gets every event it missed, in order, none twice.

Who sees what is :class:`alerts.AlertViewer` (audience + least severity). The audience follows the
token's role (:func:`access.roles.audience_for`): monitor and admin see every alert and may narrow to
one audience with ``role``; the regulator desk and on-call get theirs only, filtered here on the
server. Asking for an audience the role does not cover is a 403 (websocket: an error message, then
close code 1008).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Path,
    Query,
    WebSocket,
    WebSocketDisconnect,
    status,
)
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError

from access.roles import ALERT_AUDIENCE, Principal, audience_for
from alerts import AlertViewer, Severity, TransitionError, acknowledge, resolve
from api.audit import AuditDep
from api.auth import forbidden, require
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep, RedactorDep, RedisDep, SettingsDep
from api.time_ranges import Since, Until, optional_range
from config.settings import Settings
from storage.alert_states import AlertNotFound, AlertStore
from storage.alert_stream import AlertStream
from storage.clickhouse.alert_queries import MAX_LIST, alert_history, list_alerts

__all__ = ["AlertActionIn", "AlertList", "ViewerDep", "alert_viewer", "router"]

log = logging.getLogger(__name__)


router = APIRouter(tags=["alerts"])
api = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

#: Longest a read blocks in Redis before checking the connection again.
READ_BLOCK_MS = 1000
#: Websocket close code 1013, "Try Again Later": the alert stream (Redis) is unreachable.
WS_TRY_AGAIN_LATER = 1013
READ_COUNT = 100
STREAM_ID = r"^(\$|\d+-\d+)$"
ALERT_ID = r"^[0-9a-f]{16}$"
#: Default look-back of the alert list.
DEFAULT_LIST_HOURS = 24

Audience = Literal["monitoring", "regulator_desk", "oncall"]
AudienceQuery = Annotated[
    Audience | None,
    Query(
        description="Whose view: monitoring (all), regulator_desk, oncall (critical, escalations)."
        " Default and limit: the token's role (only monitor and admin may choose)."
    ),
]
SeverityQuery = Annotated[Severity, Query(description="Least severity shown.")]


def audience_refused(principal: Principal, requested: str | None) -> str:
    """Why ``principal`` may not watch ``requested``."""
    own = ALERT_AUDIENCE.get(principal.role)
    return f"role {principal.role!r} sees only the {own!r} alerts, not {requested!r}"


def alert_viewer(
    principal: Annotated[Principal, Depends(require("alerts.read"))],
    role: AudienceQuery = None,
    min_severity: SeverityQuery = "info",
) -> AlertViewer:
    """The caller's view of the alerts: the audience of its token's role (403 when it asks for more)."""
    audience = audience_for(principal.role, role)
    if audience is None:
        raise forbidden(audience_refused(principal, role))
    return AlertViewer(
        audience,  # type: ignore[arg-type]  # audience_for returns str; always an Audience
        min_severity,
    )


ViewerDep = Annotated[AlertViewer, Depends(alert_viewer)]


def _store(settings: Settings, redis: Any) -> AlertStore:
    return AlertStore(
        redis,
        key_prefix=settings.redis_key_prefix,
        maxlen=settings.alert_stream_maxlen,
        ttl_s=settings.alert_dedup_ttl_s,
    )


# -- live feed --------------------------------------------------------------------------------------
@router.websocket("/ws/alerts")
async def alerts_feed(
    websocket: WebSocket,
    settings: SettingsDep,
    redis: RedisDep,
    principal: Annotated[Principal, Depends(require("alerts.read", websocket=True))],
    role: AudienceQuery = None,
    min_severity: SeverityQuery = "info",
    last_id: Annotated[
        str, Query(pattern=STREAM_ID, description="Resume after this alert stream id; `$` = only new ones.")
    ] = "$",
) -> None:
    """Send every alert event after ``last_id`` that the viewer sees, as JSON, in order."""
    await websocket.accept()
    audience = audience_for(principal.role, role)
    if audience is None:  # a protocol error the client can read, then "policy violation"
        message = audience_refused(principal, role)
        await websocket.send_json({"error": message, "code": status.WS_1008_POLICY_VIOLATION})
        await websocket.close(status.WS_1008_POLICY_VIOLATION, message)
        return
    viewer = AlertViewer(
        audience,  # type: ignore[arg-type]  # audience_for returns str; always an Audience
        min_severity,
    )
    stream = AlertStream(redis, key_prefix=settings.redis_key_prefix, maxlen=settings.alert_stream_maxlen)
    cursor = last_id
    # Clients only listen (or send pings); reading their side is how a silent disconnect is noticed.
    listener = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        if cursor == "$":
            cursor = await stream.last_id()
        while not listener.done():
            entries = await stream.read_entries(cursor, count=READ_COUNT, block_ms=READ_BLOCK_MS)
            for entry in entries:
                if viewer.notified_of(entry.alert):  # silenced alerts are recorded, not pushed
                    await websocket.send_json(
                        {"stream_id": entry.stream_id, "event": entry.event, "alert": entry.alert}
                    )
            if entries:
                cursor = entries[-1].stream_id
    except (WebSocketDisconnect, RuntimeError):
        pass
    except RedisError as exc:
        # "Try again later": the client reconnects with the last stream_id it got and misses nothing.
        log.info("alerts feed closed: alert stream unavailable (%r)", exc)
        with suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(WS_TRY_AGAIN_LATER, "alert stream unavailable; reconnect with last_id")
    finally:
        listener.cancel()
        log.debug("alerts client (%s) left at %s", viewer.role, cursor)


async def _until_disconnect(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


# -- list, one alert ----------------------------------------------------------------------------------
class AlertList(BaseModel):
    alerts: list[dict[str, Any]]


@api.get("", response_model=AlertList)
async def get_alerts(
    clickhouse: ClickHouseDep,
    viewer: ViewerDep,
    status_: Annotated[
        list[Literal["open", "acknowledged", "resolved"]] | None,
        Query(alias="status", description="Any of these statuses (repeat the parameter)."),
    ] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    rule_id: Annotated[str | None, Query(max_length=64)] = None,
    complaint_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> AlertList:
    """Alerts as they stand now (from ClickHouse, about a second behind the live feed), newest first."""
    since, until = optional_range(since, until)
    start = since.timestamp() if since else time.time() - DEFAULT_LIST_HOURS * 3600
    alerts = await run_query(
        clickhouse,
        list_alerts,
        unavailable="the alert store",
        since=start,
        until=until.timestamp() if until else None,
        status=tuple(status_ or ()),
        min_severity=viewer.min_severity,
        kind=kind,
        rule_id=rule_id,
        role=viewer.role,
        complaint_id=complaint_id,
        limit=limit,
    )
    return AlertList(alerts=alerts)


AlertId = Annotated[str, Path(pattern=ALERT_ID, description="The alert's id (16 hex digits).")]


@api.get("/{alert_id}")
async def get_alert(
    alert_id: AlertId, settings: SettingsDep, redis: RedisDep, clickhouse: ClickHouseDep, viewer: ViewerDep
) -> dict[str, Any]:
    """One alert as it stands now, with its archived events (``history``, oldest first)."""
    alert = await _store(settings, redis).get(alert_id)
    try:
        history = await asyncio.to_thread(clickhouse.run, alert_history, alert_id)
    except Exception as exc:
        log.warning("alert history failed: %r", exc)
        history = []
    if alert is None and not history:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    current = alert.to_ws_payload() if alert is not None else history[-1]["alert"]
    if not viewer.sees(current):
        raise forbidden(f"alert {alert_id} is not for the {viewer.role!r} audience")
    return {"alert": current, "history": history}


# -- acknowledge, resolve -------------------------------------------------------------------------------
class AlertActionIn(BaseModel):
    """Who acts on the alert, and an optional note."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=64, description="Who acknowledges/resolves (name or login).")
    note: str | None = Field(None, max_length=1000)


class AlertActionOut(BaseModel):
    alert: dict[str, Any]
    changed: bool = Field(description="False when it already was in that state (nothing was sent).")
    stream_id: str | None


async def _act(settings: Settings, redis: Any, alert_id: str, change: Any, event: Any) -> AlertActionOut:
    try:
        outcome = await _store(settings, redis).transition(alert_id, change, event)
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open record of alert {alert_id}") from exc
    except TransitionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return AlertActionOut(
        alert=outcome.alert.to_ws_payload(),
        changed=outcome.stream_id is not None,
        stream_id=outcome.stream_id,
    )


@api.post("/{alert_id}/ack", response_model=AlertActionOut)
async def ack_alert(
    alert_id: AlertId,
    body: AlertActionIn,
    settings: SettingsDep,
    redis: RedisDep,
    principal: Annotated[Principal, Depends(require("alerts.ack"))],
    audit: AuditDep,
) -> AlertActionOut:
    """Acknowledge: someone is on it (who and when are recorded; escalation stops). 409 if resolved.
    The regulator desk and on-call acknowledge only alerts of their audience."""
    audience = audience_for(principal.role)
    if audience is not None and audience != "monitoring":
        alert = await _store(settings, redis).get(alert_id)
        if alert is not None and not AlertViewer(
            audience  # type: ignore[arg-type]  # audience_for returns str; always an Audience
        ).sees(alert.to_ws_payload()):
            raise forbidden(f"role {principal.role!r} may acknowledge only {audience!r} alerts")
    done = await _act(
        settings, redis, alert_id, partial(acknowledge, by=body.by, at=time.time()), "acknowledged"
    )
    await audit(principal, "alert.ack", alert_id, {"by": body.by, "changed": done.changed})
    return done


@api.post("/{alert_id}/resolve", response_model=AlertActionOut)
async def resolve_alert(
    alert_id: AlertId,
    body: AlertActionIn,
    settings: SettingsDep,
    redis: RedisDep,
    principal: Annotated[Principal, Depends(require("alerts.resolve"))],
    audit: AuditDep,
    redactor: RedactorDep,
) -> AlertActionOut:
    """Resolve: the matter is dealt with; a later repeat of the rule and group is a new alert.
    The note is kept with personal data redacted (staff quote customers)."""
    note = redactor.redact(body.note).text if body.note else body.note
    change = partial(resolve, by=body.by, at=time.time(), note=note)
    done = await _act(settings, redis, alert_id, change, "resolved")
    detail = {"by": body.by, "note": note, "changed": done.changed}
    await audit(principal, "alert.resolve", alert_id, detail)
    return done


router.include_router(api)
