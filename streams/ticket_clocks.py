"""Apply ticket events to complaints' deadline clocks in Redis (no agent: both the deadline agent
and the alerts-only worker's complaint agent call it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson

from alerts import DeadlineRule, Ticket, TicketStep, next_check_at
from events.ticket_records import TicketEvent
from storage.alert_tickets import TicketStore
from streams.worker_parts import Worker

__all__ = ["MAX_ATTEMPTS", "apply_ticket_events", "deadline_rules", "ticket_store"]

log = logging.getLogger(__name__)

#: Attempts at a ticket write that keeps losing races (each re-reads).
MAX_ATTEMPTS = 8


def ticket_store(worker: Worker) -> TicketStore:
    return TicketStore(worker.alert_context.redis, key_prefix=worker.settings.redis_key_prefix)


def deadline_rules(worker: Worker) -> tuple[DeadlineRule, ...]:
    """The enabled deadline rules, on the demo's faster clock when one is set."""
    scale = worker.settings.deadline_time_scale
    return tuple(rule.scaled(scale) for rule in worker.context.rules.rules.enabled_of(DeadlineRule))


def _step(event: TicketEvent) -> tuple[TicketStep, dict[str, Any]]:
    step = TicketStep(event.event_id, event.kind, event.at, event.deadlines, event.limit_days, event.note)
    received = (
        {
            "channel": event.channel,
            "branch": event.branch,
            "line": event.line,
            "regulator_forwarded": event.regulator_forwarded,
            "regulator_ref": event.regulator_ref,
        }
        if event.kind == "received"
        else {}
    )
    return step, received


async def apply_ticket_events(worker: Worker, events: Sequence[TicketEvent]) -> list[Ticket | None]:
    """Apply ``events`` to their tickets in Redis, in order, with two round trips per attempt; each
    result is the ticket after its event, or None when the event was applied before.

    Several events of one ticket in one call: the later ones lose the first write's race and are
    applied on the next attempt, on top of it.
    """
    store = ticket_store(worker)
    rules = deadline_rules(worker)
    results: list[Ticket | None] = [None] * len(events)
    pending = list(range(len(events)))
    for _ in range(MAX_ATTEMPTS):
        if not pending:
            break
        raws = await store.get_many([events[i].complaint_id for i in pending])
        writes: list[tuple[int, Ticket]] = []
        batch: list[tuple[str, str | None, str, float | None]] = []
        claimed: set[str] = set()
        retry: list[int] = []
        now = time.time()
        for index, raw in zip(pending, raws, strict=True):
            event = events[index]
            if event.complaint_id in claimed:  # a second event of this ticket: after the first lands
                retry.append(index)
                continue
            ticket = Ticket.from_dict(orjson.loads(raw)) if raw else Ticket(event.complaint_id)
            step, received = _step(event)
            if not ticket.apply(step, **received):
                continue  # seen before
            claimed.add(event.complaint_id)
            writes.append((index, ticket))
            batch.append(
                (
                    event.complaint_id,
                    raw,
                    orjson.dumps(ticket.to_dict()).decode(),
                    next_check_at(ticket, rules, now),
                )
            )
        for (index, ticket), ok in zip(writes, await store.compare_and_set_many(batch), strict=True):
            if ok:
                results[index] = ticket
            else:
                retry.append(index)
        pending = sorted(retry)
    for index in pending:
        log.error("ticket event %s not applied: its ticket kept changing", events[index].event_id)
    return results
