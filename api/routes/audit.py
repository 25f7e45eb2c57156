"""The audit trail: ``GET /api/v1/audit`` (admin only), newest first, with filters.

Every rule change, export, token created or revoked, label, acknowledgement, resolution and
silence set or ended is one row (:mod:`api.audit` writes them; the CLI writes the token ones): who
(token name and id, role), what (action, target, detail), when, from where (client address or
``cli:<host>``) and the request id (``X-Request-ID``), which leads to the API's log lines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import require
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep
from api.time_ranges import Since, Until, optional_range
from storage.clickhouse.audit_log import MAX_AUDIT_ENTRIES, AuditEntry, audit_entries

__all__ = ["AuditEntryOut", "AuditLogOut", "router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    """One recorded action."""

    entry_id: str
    at: datetime = Field(description="When it happened (UTC, to the millisecond).")
    actor_id: str = Field(description="The token's id ('env': HOTLINE_API_TOKEN; '': the CLI).")
    actor_name: str = Field(description="The token's name, or `cli:<login>`.")
    role: str
    action: str = Field(description="e.g. `rules.replace`, `export.complaints`, `alert.ack`, `token.create`.")
    target: str = Field(description="What it acted on: an alert, complaint, token or silence id, an export.")
    detail: dict[str, Any]
    client: str = Field(description="The caller's address, or `cli:<host>`.")
    request_id: str = Field(description="The request's X-Request-ID ('' for the CLI).")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            entry_id=entry.entry_id,
            at=datetime.fromtimestamp(entry.at, UTC),
            actor_id=entry.actor_id,
            actor_name=entry.actor_name,
            role=entry.role,
            action=entry.action,
            target=entry.target,
            detail=dict(entry.detail),
            client=entry.client,
            request_id=entry.request_id,
        )


class AuditLogOut(BaseModel):
    entries: list[AuditEntryOut] = Field(description="Newest first.")


@router.get("", response_model=AuditLogOut, dependencies=[Depends(require("audit.read"))])
async def get_audit(
    pool: ClickHouseDep,
    action: Annotated[str | None, Query(max_length=64, description="Only this action.")] = None,
    actor: Annotated[str | None, Query(max_length=128, description="Only this token (name or id).")] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_ENTRIES)] = 100,
) -> AuditLogOut:
    """Recorded actions, newest first (503 while ClickHouse is unreachable)."""
    start, end = optional_range(since, until)
    entries = await run_query(
        pool, audit_entries, action=action, actor=actor, since=start, until=end, limit=limit
    )
    return AuditLogOut(entries=[AuditEntryOut.of(entry) for entry in entries])
