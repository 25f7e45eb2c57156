"""Silences: ``POST /api/v1/silences`` mutes matching alerts for a while, with a reason;
``GET`` lists them (active, pending and recently expired); ``DELETE /api/v1/silences/{id}`` ends one.

A muted alert is still recorded and listed (marked ``silenced_by``) but not pushed to the live feeds
or webhooks, and does not escalate (:mod:`alerts.silences`). Workers pick a new silence up within
``HOTLINE_RULES_RELOAD_S``. Who set or ended a silence is the token's name: it is never taken from
the body.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from access.roles import Principal
from alerts import MAX_SILENCE_S, Silence, SilenceMatchers
from api.audit import AuditDep
from api.auth import require
from api.deps import RedisDep, SettingsDep
from storage.silences import SilenceStore

__all__ = ["SilenceIn", "SilenceOut", "router"]

router = APIRouter(prefix="/api/v1/silences", tags=["silences"])

SilenceId = Annotated[str, Path(pattern=r"^s-[0-9a-f]{16}$")]


class SilenceIn(BaseModel):
    """A new silence: matchers, how long (``ends_at`` or ``duration_s``), and why."""

    model_config = ConfigDict(extra="forbid")

    matchers: SilenceMatchers
    starts_at: float | None = Field(None, description="Epoch seconds (default: now).")
    ends_at: float | None = Field(None, description="Epoch seconds; or give duration_s.")
    duration_s: float | None = Field(None, gt=0, le=MAX_SILENCE_S)
    reason: str = Field(min_length=1, max_length=500, description="Why (an incident, a ticket).")

    @model_validator(mode="after")
    def _one_end(self) -> SilenceIn:
        if (self.ends_at is None) == (self.duration_s is None):
            raise ValueError("give exactly one of ends_at and duration_s")
        return self


class SilenceOut(BaseModel):
    id: str
    matchers: SilenceMatchers
    starts_at: float
    ends_at: float
    reason: str
    created_by: str
    created_at: float
    expired_by: str | None = None
    state: Literal["pending", "active", "expired"]


class SilencesOut(BaseModel):
    silences: list[SilenceOut]


def _out(silence: Silence, now: float) -> SilenceOut:
    return SilenceOut(
        **silence.model_dump(),
        state=silence.state(now),
    )


def _store(settings: SettingsDep, redis: RedisDep) -> SilenceStore:
    return SilenceStore(redis, key_prefix=settings.redis_key_prefix)


StoreDep = Annotated[SilenceStore, Depends(_store)]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=SilenceOut, response_model_exclude_none=True
)
async def create_silence(
    body: SilenceIn,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require("silences.write"))],
    audit: AuditDep,
) -> SilenceOut:
    """Mute matching alerts from ``starts_at`` (default now) until ``ends_at`` (at most 7 days)."""
    now = time.time()
    starts = body.starts_at if body.starts_at is not None else now
    ends = body.ends_at if body.ends_at is not None else starts + (body.duration_s or 0)
    if ends <= now:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "the silence would end before it is set")
    try:
        silence = Silence(
            id=f"s-{secrets.token_hex(8)}",
            matchers=body.matchers,
            starts_at=starts,
            ends_at=ends,
            reason=body.reason,
            created_by=principal.name,
            created_at=now,
        )
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.errors()[0]["msg"]) from None
    await store.put(silence)
    detail = {"matchers": body.matchers.model_dump(exclude_none=True), "starts_at": starts, "ends_at": ends}
    await audit(principal, "silence.create", silence.id, detail | {"reason": body.reason})
    return _out(silence, now)


@router.get(
    "",
    response_model=SilencesOut,
    response_model_exclude_none=True,
    dependencies=[Depends(require("alerts.read"))],
)
async def list_silences(store: StoreDep) -> SilencesOut:
    """Every silence, newest first: active, pending, and expired in the last 7 days."""
    now = time.time()
    return SilencesOut(silences=[_out(s, now) for s in await store.all(now=now)])


@router.delete("/{silence_id}", response_model=SilenceOut, response_model_exclude_none=True)
async def expire_silence(
    silence_id: SilenceId,
    store: StoreDep,
    principal: Annotated[Principal, Depends(require("silences.write"))],
    audit: AuditDep,
) -> SilenceOut:
    """End a silence now; it stays listed as expired, with who ended it."""
    silence = await store.expire(silence_id, by=principal.name)
    if silence is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no silence {silence_id}")
    detail = {"reason": silence.reason, "ends_at": silence.ends_at, "expired_by": silence.expired_by}
    await audit(principal, "silence.expire", silence_id, detail)
    return _out(silence, time.time())
