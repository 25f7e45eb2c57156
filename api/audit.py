"""Recording actions in the audit trail: who (the token), what, when, from where, which request.

A route that changes something or lets data out takes ``audit: AuditDep`` and, once the action has
succeeded, ``await audit(principal, "alert.ack", alert_id, {...})``: one ``audit_log`` row, written
in a worker thread with the API's ClickHouse pool (whose first connection applies the migrations).
The caller's address and request id are taken when the request arrives, so a streamed export that
records itself at its end still names them. A row that cannot be written does not fail the request
(the action has happened): it is logged as an ERROR naming the action, target and request id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request

from access.roles import Principal
from api.deps import ClickHouseDep
from storage.clickhouse.analytics_pool import ExecutorPool
from storage.clickhouse.audit_log import AuditEntry, record_audit

__all__ = ["MAX_TARGET_CHARS", "AuditDep", "AuditTrail"]

log = logging.getLogger(__name__)

#: Longest target kept (an export's query string is the caller's to make long).
MAX_TARGET_CHARS = 500


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The audit trail as one request sees it: call it once per action that succeeded."""

    pool: ExecutorPool
    client: str
    request_id: str

    async def __call__(
        self, principal: Principal, action: str, target: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        entry = AuditEntry(
            actor_id=principal.token_id,
            actor_name=principal.name,
            role=principal.role,
            action=action,
            target=target[:MAX_TARGET_CHARS],
            detail=dict(detail or {}),
            client=self.client,
            request_id=self.request_id,
        )
        try:
            await asyncio.to_thread(self.pool.run, record_audit, entry)
        except Exception as exc:
            log.error(
                "audit row not written: %s of %r by %r (request %s) happened but is not in audit_log: %r",
                action,
                entry.target,
                principal.name,
                self.request_id or "-",
                exc,
            )


def _audit_trail(request: Request, pool: ClickHouseDep) -> AuditTrail:
    return AuditTrail(pool, request.client.host if request.client else "", correlation_id.get() or "")


AuditDep = Annotated[AuditTrail, Depends(_audit_trail)]
