"""What a single complaint sets off as it arrives: a regulator-forwarded alert, and deadline clocks.

A second reader of ``complaints.in`` next to the classify agent (Faust gives every agent on a topic
every record): it needs no tags, so it does not wait for classification, and an alert for a
forwarded complaint is out in milliseconds. Complaints a deadline rule covers get their ticket
opened (a ``received`` event applied to the ticket store). Unreadable records are left to the
classify agent, which dead-letters them; this one skips them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

import faust

from alerts import Alert, DeadlineRule, RegulatorRule, Ticket, build_regulator_alert
from events.complaint_records import decode_complaint_record
from events.records import ComplaintEvent
from events.ticket_records import TicketEvent
from streams.ticket_clocks import apply_ticket_events
from streams.worker_metrics import COMPLAINTS, count_raised, stage_cpu
from streams.worker_parts import Worker

__all__ = ["install", "received_event"]

log = logging.getLogger(__name__)

#: Cheap test on the raw JSON before decoding: only forwarded complaints can fire a regulator rule
#: (a batch record passes when any of its complaints is forwarded).
_FORWARDED = re.compile(rb'"regulator_forwarded"\s*:\s*true|"channel"\s*:\s*"regulator"')


def install(worker: Worker) -> faust.types.AgentT:
    """Add :func:`alert_on_complaints` (a second reader of ``complaints.in``) to the worker's app."""
    settings, context = worker.settings, worker.context

    @worker.app.agent(worker.topics.complaints_in)
    async def alert_on_complaints(stream: faust.StreamT) -> None:
        """Every micro-batch of complaints: raise an alert for each regulator-forwarded one."""
        await context.ready.wait()
        await worker.alert_context.ready.wait()
        async for values in stream.take(settings.classify_batch_size, within=settings.classify_batch_s):
            rules = context.rules.rules
            regulator_rules = rules.enabled_of(RegulatorRule)
            deadline_rules = rules.enabled_of(DeadlineRule)
            if not regulator_rules and not deadline_rules:
                continue
            with stage_cpu("decode"):
                complaints = _decode(values, None if deadline_rules else _FORWARDED)
            COMPLAINTS.labels(agent="alert_on_complaints").inc(len(complaints))
            forwarded = [c for c in complaints if c.regulator_forwarded or c.channel == "regulator"]
            if forwarded and regulator_rules:
                with stage_cpu("regulator_alerts"):
                    await _raise(worker, _regulator_alerts(regulator_rules, forwarded))
            if deadline_rules:
                with stage_cpu("deadline_clocks"):
                    await _start_clocks(worker, deadline_rules, complaints)

    return alert_on_complaints


def _decode(values: Sequence[object], wanted: re.Pattern[bytes] | None) -> list[ComplaintEvent]:
    out = []
    for raw in values:
        if not isinstance(raw, bytes) or (wanted is not None and not wanted.search(raw)):
            continue
        try:
            out.extend(decode_complaint_record(raw))
        except ValueError:
            continue  # the classify agent dead-letters it
    return out


def _regulator_alerts(rules: Sequence[RegulatorRule], complaints: Sequence[ComplaintEvent]) -> list[Alert]:
    now = time.time()
    return [
        build_regulator_alert(
            rule,
            complaint_id=c.event_id,
            received_at=c.received_at,
            fired_at=now,
            channel=c.channel,
            branch=c.branch,
            regulator_ref=c.regulator_ref,
        )
        for c in complaints
        for rule in rules
        if "complaints" in rule.sources and rule.matches(channel=c.channel, branch=c.branch, line=c.line)
    ]


async def _raise(worker: Worker, alerts: Sequence[Alert]) -> None:
    outcomes = await worker.alert_context.store.raise_many([(alert, None) for alert in alerts])
    count_raised("regulator_forwarded", outcomes)
    fired = sum(1 for o in outcomes if o.event == "fired")
    if fired:
        log.info("%d regulator-forwarded alert(s) raised", fired)


def received_event(c: ComplaintEvent) -> TicketEvent:
    """The ``received`` ticket event that starts a complaint's deadline clocks."""
    return TicketEvent(
        event_id=f"{c.event_id}:received",
        complaint_id=c.event_id,
        kind="received",
        at=c.received_at,
        channel=c.channel,
        branch=c.branch,
        line=c.line,
        regulator_forwarded=c.regulator_forwarded or c.channel == "regulator",
        regulator_ref=c.regulator_ref,
    )


async def _start_clocks(
    worker: Worker, rules: Sequence[DeadlineRule], complaints: Sequence[ComplaintEvent]
) -> None:
    """Open a ticket, clocks running, for each complaint a deadline rule covers.

    Written straight to the ticket store (in one batch) rather than through ``tickets``: at
    hundreds of complaints a second a message each would load the producer every agent shares.
    """
    started = []
    for c in complaints:
        event = received_event(c)
        probe = Ticket(
            c.event_id,
            channel=event.channel,
            branch=event.branch,
            line=event.line,
            regulator_forwarded=event.regulator_forwarded,
        )
        if any(rule.matches(probe) for rule in rules):
            started.append(event)
    if started:
        await apply_ticket_events(worker, started)
