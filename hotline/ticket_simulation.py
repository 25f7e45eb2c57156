"""Simulated handling of complaints for the demo: ticket events with realistic delays.

For each handled complaint a :class:`HandlingModel` plans ``assigned``, ``responded``, sometimes
``paused``/``resumed`` (waiting for an external appraisal), ``resolved`` and ``closed``. Most come
in time; some only after the warning point (80% of a limit), some late, a few never, so the
dashboard shows deadlines met, warned about and breached. Delays are drawn in business time (minutes
to a first response, hours to a resolution, days to a decision) against the default targets (60 min,
48 h, 15 days) and divided by the deadline time scale (``HOTLINE_DEADLINE_TIME_SCALE``), the same
factor the worker divides the deadline rules by: the demo's scale of 60 turns 60 minutes into one.

:class:`TicketEventSender` posts each event through ``POST /api/v1/complaints/{id}/events`` when it
is due. It keeps one queue entry per complaint (its next event), so the demo can handle every
complaint; beyond ``max_pending`` complaints a new one is not handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from dataclasses import dataclass

import httpx

__all__ = ["HandlingModel", "PlannedEvent", "TicketEventSender"]

log = logging.getLogger(__name__)

MINUTE, HOUR, DAY = 60.0, 3600.0, 86_400.0
#: (share, range of business seconds after reception); ``None``: it never happens (in the demo).
#: First response (target 60 min, warning at 48): mostly in time, some after the warning, some late.
RESPONSE: tuple[tuple[float, tuple[float, float] | None], ...] = (
    (0.70, (5 * MINUTE, 45 * MINUTE)),
    (0.15, (49 * MINUTE, 59 * MINUTE)),
    (0.10, (65 * MINUTE, 150 * MINUTE)),
    (0.05, None),
)
#: Resolution (target 48 h), for complaints that got a response.
RESOLUTION: tuple[tuple[float, tuple[float, float] | None], ...] = (
    (0.85, (2 * HOUR, 40 * HOUR)),
    (0.07, (39 * HOUR, 47 * HOUR)),
    (0.05, (50 * HOUR, 70 * HOUR)),
    (0.03, None),
)
#: Decision communicated (15-day regulatory limit), for resolved complaints.
DECISION: tuple[tuple[float, tuple[float, float] | None], ...] = (
    (0.92, (3 * DAY, 12 * DAY)),
    (0.04, (16 * DAY, 20 * DAY)),
    (0.04, None),
)
ASSIGNED_AFTER = (1 * MINUTE, 4 * MINUTE)
#: Share of handled complaints whose clocks pause after the response (an external appraisal).
PAUSE_SHARE = 0.1
PAUSE_AFTER_RESPONSE = (10 * MINUTE, 60 * MINUTE)
PAUSE_FOR = (2 * HOUR, 12 * HOUR)
#: Longest wait of the sender between two looks at its queue.
IDLE_WAIT_S = 0.5
#: Complaints the sender holds at once. The demo handles every complaint: 5/s on average, about
#: 11/s counting its surges, each pending until its last event, 2.8 h later on average (8 h at most:
#: a 20-day decision on the clock 60 times faster). That is ~115k complaints pending at steady
#: state; at ~600 bytes each (plan, id and queue entry), the cap bounds the queue to ~120 MB.
MAX_PENDING_COMPLAINTS = 200_000
#: Complaints left unhandled because the sender was full: one warning per this many.
DROPPED_LOG_EVERY = 1000


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """A ticket event ``after_s`` wall-clock seconds after the complaint was received."""

    after_s: float
    kind: str


@dataclass
class HandlingModel:
    """Plans a complaint's handling; ``time_scale`` divides every business delay (the demo's clock)."""

    rng: random.Random
    time_scale: float = 1.0

    def plan(self) -> list[PlannedEvent]:
        """The complaint's ticket events, in the order they happen.

        Examples
        --------
        >>> plan = HandlingModel(random.Random(3), time_scale=60).plan()
        >>> [e.kind for e in plan][:2], all(a.after_s <= b.after_s for a, b in zip(plan, plan[1:]))
        (['assigned', 'responded'], True)
        """
        events = [("assigned", self._uniform(ASSIGNED_AFTER))]
        responded = self._draw(RESPONSE)
        if responded is None:
            return self._scaled(events)
        events.append(("responded", responded))
        pause = 0.0
        if self.rng.random() < PAUSE_SHARE:
            paused_at = responded + self._uniform(PAUSE_AFTER_RESPONSE)
            pause = self._uniform(PAUSE_FOR)
            events += [("paused", paused_at), ("resumed", paused_at + pause)]
        resolved = self._draw(RESOLUTION)
        if resolved is None:
            return self._scaled(events)
        # Business time excludes the pause: on the wall clock it comes that much later.
        resolved_at = max(resolved, responded + MINUTE) + pause
        events.append(("resolved", resolved_at))
        decided = self._draw(DECISION)
        if decided is not None:
            events.append(("closed", max(decided + pause, resolved_at + MINUTE)))
        return self._scaled(events)

    def _draw(self, table: tuple[tuple[float, tuple[float, float] | None], ...]) -> float | None:
        pick = self.rng.random()
        for share, span in table:
            if pick < share:
                return None if span is None else self._uniform(span)
            pick -= share
        span = table[-1][1]
        return None if span is None else self._uniform(span)

    def _uniform(self, span: tuple[float, float]) -> float:
        return self.rng.uniform(*span)

    def _scaled(self, events: list[tuple[str, float]]) -> list[PlannedEvent]:
        return sorted(
            (PlannedEvent(after / self.time_scale, kind) for kind, after in events), key=lambda e: e.after_s
        )


class TicketEventSender:
    """Posts planned ticket events when due, in due order, one request at a time.

    The queue holds one entry per complaint, its next event; posting it queues the one after, so a
    pending complaint costs its plan and one heap entry, not one entry per event.

    Examples
    --------
    >>> sender = TicketEventSender(httpx.AsyncClient(), max_pending=1)
    >>> sender.schedule("c1", [PlannedEvent(1.0, "assigned"), PlannedEvent(5.0, "responded")], received=0.0)
    True
    >>> sender.schedule("c2", [PlannedEvent(1.0, "assigned")], received=0.0), sender.pending, sender.dropped
    (False, 1, 1)
    """

    def __init__(self, client: httpx.AsyncClient, *, max_pending: int = MAX_PENDING_COMPLAINTS) -> None:
        self.client = client
        self.max_pending = max_pending
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        #: (due, order, complaint id, received, plan, index of the due event in the plan)
        self._queue: list[tuple[float, int, str, float, tuple[PlannedEvent, ...], int]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()

    @property
    def pending(self) -> int:
        """Complaints with events still to send."""
        return len(self._queue)

    def schedule(self, complaint_id: str, plan: list[PlannedEvent], *, received: float) -> bool:
        """Queue ``plan`` (in order; times after ``received``, a ``time.monotonic()``); False when
        the plan is empty or the sender is full (the complaint is then not handled)."""
        if not plan:
            return False
        if len(self._queue) >= self.max_pending:
            self.dropped += 1
            if self.dropped % DROPPED_LOG_EVERY == 1:
                log.warning("%d complaints pending: %d not handled so far", self.max_pending, self.dropped)
            return False
        self._push(complaint_id, received, tuple(plan), 0)
        self._wake.set()
        return True

    def _push(self, complaint_id: str, received: float, plan: tuple[PlannedEvent, ...], index: int) -> None:
        due = received + plan[index].after_s
        heapq.heappush(self._queue, (due, next(self._order), complaint_id, received, plan, index))

    async def run(self, *, until: float | None = None) -> None:
        """Send events as they fall due, until cancelled (or ``until``, a ``time.monotonic()``)."""
        while until is None or time.monotonic() < until:
            now = time.monotonic()
            if self._queue and self._queue[0][0] <= now:
                _, _, complaint_id, received, plan, index = heapq.heappop(self._queue)
                if index + 1 < len(plan):
                    self._push(complaint_id, received, plan, index + 1)
                await self._post(complaint_id, plan[index].kind)
                continue
            wait = min(self._queue[0][0] - now if self._queue else IDLE_WAIT_S, IDLE_WAIT_S)
            if until is not None:
                wait = min(wait, max(until - now, 0.0))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _post(self, complaint_id: str, kind: str) -> None:
        body = {"kind": kind, "id": f"sim-{kind}", "actor": "simulator"}
        try:
            response = await self.client.post(f"/api/v1/complaints/{complaint_id}/events", json=body)
        except httpx.HTTPError as exc:
            self.failed += 1
            log.warning("ticket event %s of %s not sent: %s", kind, complaint_id, exc)
            return
        if response.status_code == 202:
            self.sent += 1
        else:
            self.failed += 1
            log.warning("API answered %d to a ticket event: %s", response.status_code, response.text[:200])
