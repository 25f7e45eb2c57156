"""Alerts during calls: risky utterances (live-call rules), the agent's forbidden phrases
(agent-phrase rules) and regulator-forwarded calls.

Reads ``calls.utterances`` (:class:`events.call_records.UtteranceEvent`, produced by the
transcription agents as each final utterance is recognized and scored): the alert goes out while
the caller is still on the line. A forwarded call fires its regulator alert on its first utterance,
keyed by the complaint the call becomes, so the complaint at the call's end repeats nothing.
Unreadable records are the transcription side's to dead-letter; this agent skips them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import faust
from pydantic import ValidationError

from alerts import (
    AgentPhraseRule,
    Alert,
    LiveCallRule,
    RegulatorRule,
    RiskyUtterance,
    RuleSet,
    build_agent_phrase_alert,
    build_live_call_alert,
    build_regulator_alert,
)
from events.call_records import UtteranceEvent, complaint_id_for_call
from streams.worker_metrics import count_raised
from streams.worker_parts import Worker

__all__ = ["install", "risky_utterance"]

log = logging.getLogger(__name__)

#: Utterances per micro-batch.
BATCH = 200
BATCH_S = 0.02


def risky_utterance(u: UtteranceEvent) -> RiskyUtterance:
    """The rule library's view of an utterance record."""
    return RiskyUtterance(
        call_id=u.call_id,
        index=u.index,
        risk=u.risk,
        risk_level=u.risk_level,
        risk_terms=u.risk_terms,
        at=u.call_started_at + u.end_s,
        offset_s=u.start_s,
        live=u.source == "live",
        line=u.metadata.line,
        branch=u.metadata.branch,
        regulator_forwarded=u.metadata.regulator_forwarded,
        speaker=u.speaker,
        text=u.text,
    )


def install(worker: Worker) -> faust.types.AgentT:
    """Add :func:`alert_on_call_utterances` (on ``calls.utterances``) to the worker's app."""
    context, alert_context = worker.context, worker.alert_context

    @worker.app.agent(worker.topics.calls_utterances)
    async def alert_on_call_utterances(stream: faust.StreamT) -> None:
        """Every utterance batch: caller escalations, agent phrases, regulator alerts for forwarded calls."""
        await context.ready.wait()
        await alert_context.ready.wait()
        async for values in stream.take(BATCH, within=BATCH_S):
            rules = context.rules.rules
            alerts = _alerts(values, rules)
            if alerts:
                await _raise(worker, alerts)

    return alert_on_call_utterances


def _alerts(values: Sequence[bytes], rules: RuleSet) -> list[tuple[Alert, int | None]]:
    """The alerts a batch of utterance records raises under ``rules``."""
    call_rules = rules.enabled_of(LiveCallRule)
    phrase_rules = rules.enabled_of(AgentPhraseRule)
    regulator_rules = [r for r in rules.enabled_of(RegulatorRule) if "calls" in r.sources]
    if not call_rules and not phrase_rules and not regulator_rules:
        return []
    now = time.time()
    alerts: list[tuple[Alert, int | None]] = []
    for raw in values:
        try:
            u = UtteranceEvent.model_validate_json(raw)
        except (ValidationError, ValueError, TypeError):
            continue
        risky = risky_utterance(u)
        alerts += [
            (build_live_call_alert(r, risky, fired_at=now), None) for r in call_rules if r.fires_on(risky)
        ]
        for r in phrase_rules:
            if said := r.matched(risky):
                alerts.append((build_agent_phrase_alert(r, risky, said, fired_at=now), None))
        if u.metadata.regulator_forwarded:
            alerts += [
                (
                    build_regulator_alert(
                        r,
                        complaint_id=complaint_id_for_call(u.call_id),
                        received_at=u.call_started_at,
                        fired_at=now,
                        channel="phone",
                        branch=u.metadata.branch,
                        regulator_ref=u.metadata.regulator_ref,
                        call_id=u.call_id,
                    ),
                    None,
                )
                for r in regulator_rules
                if r.matches(channel="phone", branch=u.metadata.branch, line=u.metadata.line)
            ]
    return alerts


async def _raise(worker: Worker, alerts: list[tuple[Alert, int | None]]) -> None:
    outcomes = await worker.alert_context.store.raise_many(alerts)
    raised = list(zip(alerts, outcomes, strict=True))
    count_raised("agent_phrase", [o for (a, _), o in raised if a.kind == "agent_phrase"])
    count_raised("live_call", [o for (a, _), o in raised if a.kind != "agent_phrase"])
    for outcome in outcomes:
        if outcome.event == "fired" and outcome.alert is not None:
            log.warning(
                "ALERT %s [%s] %s", outcome.alert.alert_id, outcome.alert.severity, outcome.alert.rule_id
            )
