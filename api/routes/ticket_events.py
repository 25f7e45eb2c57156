"""Handling events of a complaint: ``POST /api/v1/complaints/{id}/events`` (they drive its deadlines).

Each event goes to the ``tickets`` topic keyed by the complaint id (ticket systems may also produce
there directly, in the same JSON); the worker applies it to the complaint's deadline clocks.
``extended`` sets the regulatory decision limit to 30 or 60 days and needs the reason in ``note``;
``paused``/``resumed`` may name the clocks they affect (default: all).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import require
from api.deps import ProducerDep, RedactorDep
from api.event_producer import BrokerUnavailable, broker_unavailable
from events.ticket_records import TicketEvent
from events.topic_names import TICKETS

__all__ = ["TicketEventAccepted", "TicketEventIn", "router"]

log = logging.getLogger(__name__)

#: Events may be reported a little ahead of the server's clock, not more.
MAX_CLOCK_SKEW_S = 300
#: Decision limits an extension may set (CBIRC Order 2020 No.3: 30 days, at most 60 with approval).
EXTENSION_DAYS = (30, 60)

ComplaintId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The complaint's id.")
]


router = APIRouter(
    prefix="/api/v1/complaints",
    tags=["complaints"],
    dependencies=[Depends(require("tickets.write"))],
)


class TicketEventIn(BaseModel):
    """One step in handling a complaint."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["assigned", "responded", "paused", "resumed", "extended", "resolved", "closed"]
    at: float | None = Field(None, gt=0, description="Epoch seconds it happened (default: now).")
    id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Your id: a retry applies once.",
    )
    actor: str | None = Field(None, max_length=64, description="Who did it.")
    note: str | None = Field(None, max_length=1000, description="Free text; for `extended`, the reason.")
    deadlines: list[Literal["first_response", "resolution", "decision"]] | None = Field(
        None, min_length=1, description="paused/resumed only: the clocks affected (default all)."
    )
    limit_days: Literal[30, 60] | None = Field(None, description="extended only: the new decision limit.")

    @model_validator(mode="after")
    def _fits_kind(self) -> TicketEventIn:
        if self.kind == "extended":
            if self.limit_days is None:
                raise ValueError("an extension needs limit_days (30 or 60)")
            if not self.note:
                raise ValueError("an extension needs the reason in note")
        elif self.limit_days is not None:
            raise ValueError("limit_days is only for kind extended")
        if self.deadlines is not None and self.kind not in ("paused", "resumed"):
            raise ValueError("deadlines is only for kinds paused and resumed")
        return self


class TicketEventAccepted(BaseModel):
    event_id: str
    complaint_id: str
    kind: str
    at: float


@router.post(
    "/{complaint_id}/events", status_code=status.HTTP_202_ACCEPTED, response_model=TicketEventAccepted
)
async def post_ticket_event(
    complaint_id: ComplaintId, body: TicketEventIn, producer: ProducerDep, redactor: RedactorDep
) -> TicketEventAccepted:
    """Record a handling event; 202 once the broker has it. 422 names what is wrong with it."""
    now = time.time()
    at = body.at if body.at is not None else now
    if at > now + MAX_CLOCK_SKEW_S:
        raise RequestValidationError(
            [{"loc": ["body", "at"], "type": "value_error", "msg": "is in the future"}]
        )
    event = TicketEvent(
        event_id=f"{complaint_id}:{body.id or uuid.uuid4().hex}",
        complaint_id=complaint_id,
        kind=body.kind,
        at=at,
        actor=body.actor,
        note=redactor.redact(body.note).text if body.note else body.note,  # staff notes quote customers
        deadlines=tuple(body.deadlines) if body.deadlines else None,
        limit_days=body.limit_days,
    )
    try:
        await producer.send(TICKETS, event.model_dump_json().encode(), key=complaint_id.encode())
    except BrokerUnavailable as exc:
        log.error("broker did not take ticket event %s", event.event_id)
        raise broker_unavailable(exc, "the event") from exc
    return TicketEventAccepted(event_id=event.event_id, complaint_id=complaint_id, kind=body.kind, at=at)
