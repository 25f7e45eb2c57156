"""Deadline clocks: ticket events update each complaint's clocks; the leader warns and fires on time.

- :func:`track_ticket_events` reads ``tickets`` (``received`` events come from the complaint agent,
  the rest from ``POST /api/v1/complaints/{id}/events`` or a ticket system) and applies each to the
  complaint's ticket in Redis, with the next time its clocks need a look. An event that stops a
  clock resolves that clock's open deadline alerts. Handling events also go to ClickHouse's
  ``ticket_events`` (the deadline compliance figures), each once, with the paused time before it,
  through the worker's batching sink (:mod:`streams.ticket_archive`): while ClickHouse is down the
  rows wait in memory and are retried, and the clocks keep moving.
- :func:`check_deadlines` (leader only) pops the tickets whose time has come and raises the
  warnings (80%) and breaches (100%) that are due.

What a ClickHouse outage can still lose: the rows buffered in memory when the worker is killed (or
still unwritten when a stopping worker gives up, after :data:`streams.ticket_archive.SHUTDOWN_FLUSH_S`).
Their events were acked once their clocks were in Redis, and a redelivered event would not archive
them anyway: :func:`apply_ticket_events` reports an event applied before as None, and only a first
application makes a row. Those milestones are then missing from the compliance figures and the tracker.

Why Redis and not a table: the timer must find "every ticket due by now" among many, which a
sorted set answers directly; a table can only be scanned, and only changed from an agent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import faust
import orjson

from alerts import (
    DAY_S,
    STOPPED_BY,
    DeadlineRule,
    Ticket,
    build_deadline_alert,
    clock_state,
    deadline_signals,
    next_check_at,
    resolve,
)
from events.ticket_records import TicketEvent
from storage.alert_states import AlertNotFound
from storage.alert_tickets import TicketStore
from streams.decoding import decode_or_dead_letter
from streams.ticket_archive import TicketArchive
from streams.ticket_clocks import MAX_ATTEMPTS, apply_ticket_events, deadline_rules, ticket_store
from streams.worker_metrics import count_raised
from streams.worker_parts import Worker, add_service

__all__ = ["apply_ticket_events", "install"]

log = logging.getLogger(__name__)

#: Ticket events per micro-batch (one Redis round trip per attempt).
BATCH = 500
BATCH_S = 0.2
#: Kinds ClickHouse's ``ticket_events`` keeps (the clock-starting ``received`` is not one of them).
ARCHIVED_KINDS = frozenset({"assigned", "responded", "paused", "resumed", "resolved", "closed", "extended"})
#: The clock whose paused time a milestone carries into ClickHouse.
MILESTONE_CLOCK = {"responded": "first_response", "resolved": "resolution", "closed": "decision"}


def install(worker: Worker) -> faust.types.AgentT:
    """Add :func:`track_ticket_events` (with the worker's ticket archive) and the leader's
    :func:`check_deadlines` timer to the worker's app."""
    app, context, alert_context = worker.app, worker.context, worker.alert_context
    ticket_archive = add_service(app, TicketArchive(worker.settings))
    deadletter = worker.topics.deadletter

    @app.agent(worker.topics.tickets)
    async def track_ticket_events(stream: faust.StreamT) -> None:
        """Apply every ticket event to its complaint's clocks (each event once)."""
        await context.ready.wait()
        await alert_context.ready.wait()
        await ticket_archive.ready.wait()
        async for events in stream.take_events(BATCH, within=BATCH_S):
            await ticket_archive.wait_for_room()
            archived: list[dict[str, Any]] = []
            decoded = [
                e
                for e in [await decode_or_dead_letter(event, TicketEvent, deadletter) for event in events]
                if e
            ]
            for ticket_event, ticket in zip(decoded, await apply_ticket_events(worker, decoded), strict=True):
                if ticket is None:
                    continue  # seen before
                if ticket_event.kind in ARCHIVED_KINDS:
                    archived.append(_archive_row(deadline_rules(worker), ticket, ticket_event))
                if any(ticket_event.kind in STOPPED_BY[clock] for clock in STOPPED_BY):
                    await _resolve_stopped(worker, ticket, ticket_event)
            ticket_archive.add(archived)  # never blocks: ClickHouse being down must not stop the clocks

    @app.timer(worker.settings.deadline_check_s, on_leader=True)
    async def check_deadlines() -> None:
        """Raise every deadline warning and breach that is due (leader only)."""
        if not (alert_context.ready.is_set() and context.ready.is_set()):
            return
        store = ticket_store(worker)
        rules = deadline_rules(worker)
        now = time.time()
        try:
            due = await store.due(now)
        except Exception as exc:
            log.warning("deadline check skipped: %r", exc)
            return
        for complaint_id in due:
            try:
                await _check(worker, store, complaint_id, rules, now)
            except Exception:
                log.exception("deadline check of %s failed; it is retried next round", complaint_id)

    return track_ticket_events


def _archive_row(rules: Sequence[DeadlineRule], ticket: Ticket, event: TicketEvent) -> dict[str, Any]:
    clock = MILESTONE_CLOCK.get(event.kind)
    state = clock_state(ticket, clock, 1, event.at) if clock else None
    limit_days = 0
    for rule in rules:
        if rule.decision is not None and rule.matches(ticket):
            decision = clock_state(
                ticket,
                "decision",
                rule.decision,
                event.at,
                extensions=rule.decision_extensions,
                time_scale=rule.time_scale,
            )
            limit_s = decision.limit_s if decision is not None else rule.decision
            # Stored in real days: the figures put them back on the demo's clock (time_scale).
            limit_days = round(limit_s * rule.time_scale / DAY_S)
            break
    return {
        "event_id": event.event_id,
        "complaint_id": event.complaint_id,
        "kind": event.kind,
        "at": event.at,
        "received_at": ticket.received_at or event.at,
        "regulator_forwarded": ticket.regulator_forwarded,
        "regulator_ref": ticket.regulator_ref or "",
        "paused_s": round(state.paused_s) if state is not None else 0,
        "limit_days": event.limit_days or limit_days,
        "actor": event.actor or "",
        "note": event.note or "",
    }


async def _resolve_stopped(worker: Worker, ticket: Ticket, event: TicketEvent) -> None:
    """Resolve the deadline alerts of the clocks ``event`` stopped: nobody needs chasing any more."""
    for key, alert_id in ticket.signaled.items():
        clock = key.split(":")[1]
        if event.kind not in STOPPED_BY.get(clock, ()):
            continue
        change = partial(resolve, by=event.actor or "ticket", at=event.at, note=f"ticket {event.kind}")
        try:
            await worker.alert_context.store.transition(alert_id, change, "resolved")
        except AlertNotFound:
            continue


async def _check(
    worker: Worker, store: TicketStore, complaint_id: str, rules: Sequence[DeadlineRule], now: float
) -> None:
    by_id = {rule.id: rule for rule in rules}
    for _ in range(MAX_ATTEMPTS):
        raw = await store.get(complaint_id)
        if raw is None:
            await store.forget(complaint_id)  # expired
            return
        ticket = Ticket.from_dict(orjson.loads(raw))
        signals = deadline_signals(ticket, rules, now)
        alerts = [build_deadline_alert(by_id[s.rule_id], ticket, s, now) for s in signals]
        # Raised before the ticket records them: a crash in between raises them again, and the
        # alert ids (fixed per complaint, clock, stage and limit) make that a no-op.
        if alerts:
            count_raised(
                "deadline", await worker.alert_context.store.raise_many([(alert, None) for alert in alerts])
            )
        for signal, alert in zip(signals, alerts, strict=True):
            ticket.signaled[signal.key] = alert.alert_id
            log.warning("DEADLINE %s %s %s: %s", complaint_id, signal.clock, signal.stage, alert.reason)
        next_check = next_check_at(ticket, rules, now)
        if await store.compare_and_set(
            complaint_id, expected=raw, new=orjson.dumps(ticket.to_dict()).decode(), next_check=next_check
        ):
            return
