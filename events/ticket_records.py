"""Event schemas of the alert topics (issue 5).

- ``alerts.volume`` (key = ``rule_id|series value``): :class:`VolumeTick`, one closed bucket of one
  series of a surge or silence rule, sent in bucket order by the leader's volume timer.
- ``tickets`` (key = complaint id): :class:`TicketEvent`, a step in a complaint's handling (from
  ``POST /api/v1/complaints/{id}/events`` or straight from a ticket system), and the ``received``
  events that start each complaint's deadline clocks.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TICKET_EVENT_KINDS", "TicketEvent", "TicketEventKind", "VolumeTick"]

#: Name (without the prefix) of the ticket events topic; ticket systems may produce to it directly.

TicketEventKind = Literal[
    "received", "assigned", "responded", "paused", "resumed", "extended", "resolved", "closed"
]
TICKET_EVENT_KINDS: tuple[str, ...] = get_args(TicketEventKind)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VolumeTick(_Event):
    """The count of one series (a tag, a channel...) in one closed bucket of a volume rule."""

    rule_id: str = Field(min_length=1, max_length=64)
    value: str = Field(description="The series: a tag (surge) or a channel/line/branch (silence).")
    bucket_start: int
    count: int = Field(ge=0)


class TicketEvent(_Event):
    """One step in a complaint's handling, on ``tickets`` keyed by complaint id.

    ``received`` opens the ticket (the complaint's arrival, with what deadline rules filter on);
    ``paused``/``resumed`` stop and restart the clocks (``deadlines`` names which, default all);
    ``extended`` moves the regulatory decision limit to ``limit_days`` (30 or 60) with a reason in
    ``note``; ``responded``, ``resolved`` and ``closed`` (decision communicated) stop clocks.
    """

    event_id: str = Field(min_length=1, max_length=128, description="Unique per event: retries apply once.")
    complaint_id: str = Field(min_length=1, max_length=64)
    kind: TicketEventKind
    at: float = Field(gt=0, description="Epoch seconds when it happened.")
    actor: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=1000)
    deadlines: tuple[str, ...] | None = Field(None, description="paused/resumed: only these clocks.")
    limit_days: int | None = Field(None, ge=1, le=366, description="extended: the new decision limit.")
    channel: str | None = Field(None, max_length=32, description="received: the complaint's channel.")
    branch: str | None = Field(None, max_length=64)
    line: str | None = Field(None, max_length=64)
    regulator_forwarded: bool = False
    regulator_ref: str | None = Field(None, max_length=128)
