"""The audit trail in ClickHouse (``audit_log``): one row written per action, read newest first."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.clickhouse.analytics_filters import Moment, as_utc
from storage.clickhouse.audit_schema import AUDIT_LOG_COLUMNS
from storage.clickhouse.executor import ClickHouseExecutor

__all__ = ["MAX_AUDIT_ENTRIES", "AuditEntry", "audit_entries", "record_audit"]

#: Most entries one read returns.
MAX_AUDIT_ENTRIES = 1000


def _now() -> float:
    return round(time.time(), 3)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One action: who did it (token id and name, role), what (action, target, detail), when
    (epoch seconds, kept to the millisecond), from where (client address, request id)."""

    actor_id: str  # the token's id; '' for the CLI
    actor_name: str
    role: str
    action: str  # e.g. 'rules.replace', 'alert.ack', 'token.create'
    target: str  # what it acted on: an alert, complaint, token or silence id, an export's query
    detail: Mapping[str, Any] = field(default_factory=dict)  # small, stored as JSON
    client: str = ""  # the caller's address, or 'cli:<host>'
    request_id: str = ""  # the X-Request-ID; '' for the CLI
    at: float = field(default_factory=_now)
    entry_id: str = field(default_factory=_new_id)


def _row(entry: AuditEntry) -> tuple[object, ...]:
    seconds, ms = divmod(round(entry.at * 1000), 1000)
    moment = datetime.fromtimestamp(seconds, UTC)
    detail = json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True, default=str)
    return (
        entry.entry_id,
        moment,
        ms,
        moment.date(),
        entry.actor_id,
        entry.actor_name,
        entry.role,
        entry.action,
        entry.target,
        detail,
        entry.client,
        entry.request_id,
    )


def record_audit(executor: ClickHouseExecutor, entry: AuditEntry) -> None:
    """Append ``entry`` (one insert of one row: the caller writes each action once)."""
    executor.insert("audit_log", AUDIT_LOG_COLUMNS, [_row(entry)])


#: What a read selects, in this order (``at`` as epoch seconds: the same on both engines).
_READ_COLUMNS: tuple[str, ...] = tuple(c for c in AUDIT_LOG_COLUMNS if c != "date")
_SELECTED = tuple("toUInt32(at)" if c == "at" else c for c in _READ_COLUMNS)


def _epoch_ms(moment: Moment) -> int:
    return round(as_utc(moment).timestamp() * 1000)


def audit_entries(
    executor: ClickHouseExecutor,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first: of ``action``, by ``actor`` (a token's name or id), at or after ``since``
    and before ``until`` (to the millisecond), at most ``limit`` (1..:data:`MAX_AUDIT_ENTRIES`)."""
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise ValueError(f"limit must be between 1 and {MAX_AUDIT_ENTRIES}")
    where = ["1 = 1"]
    params: dict[str, object] = {"limit": limit}
    if action is not None:
        where.append("action = %(action)s")
        params["action"] = action
    if actor is not None:
        where.append("(actor_name = %(actor)s OR actor_id = %(actor)s)")
        params["actor"] = actor
    # The day and second bounds let ClickHouse skip partitions and granules; the ms one is exact.
    if since is not None:
        where.append(_bound(params, "since", _epoch_ms(since), ">="))
    if until is not None:
        where.append(_bound(params, "until", _epoch_ms(until), "<"))
    rows = executor.execute(
        f"SELECT {', '.join(_SELECTED)} FROM audit_log WHERE {' AND '.join(where)}"
        " ORDER BY at DESC, at_ms DESC, entry_id DESC LIMIT %(limit)s",
        params,
    )
    return [_entry(dict(zip(_READ_COLUMNS, row, strict=True))) for row in rows]


def _bound(params: dict[str, object], name: str, epoch_ms: int, op: str) -> str:
    """The condition ``moment op epoch_ms`` (adding its values to ``params``)."""
    second = datetime.fromtimestamp(epoch_ms // 1000, UTC)
    params |= {f"{name}_day": second.date(), f"{name}_at": second, f"{name}_ms": epoch_ms}
    coarse = ">=" if op.startswith(">") else "<="
    return (
        f"date {coarse} %({name}_day)s AND at {coarse} %({name}_at)s"
        f" AND toUInt64(at) * 1000 + at_ms {op} %({name}_ms)s"
    )


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        entry_id=str(row["entry_id"]),
        at=round(int(row["at"]) + int(row["at_ms"]) / 1000, 3),
        actor_id=str(row["actor_id"]),
        actor_name=str(row["actor_name"]),
        role=str(row["role"]),
        action=str(row["action"]),
        target=str(row["target"]),
        detail=json.loads(row["detail"]) if row["detail"] else {},
        client=str(row["client"]),
        request_id=str(row["request_id"]),
    )
