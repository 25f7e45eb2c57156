"""Deadline clocks on a simulated clock: warnings at 80%, breaches, pauses, extensions, stops."""

from __future__ import annotations

import pytest

from alerts import DeadlineRule, Ticket, TicketStep, parse_rules
from alerts.deadlines import build_deadline_alert, clock_state, deadline_signals, next_check_at
from alerts.rules_file import RuleValidationError

MIN, HOUR, DAY = 60, 3600, 86_400
T0 = 1_750_000_000.0


def rule(**overrides: object) -> DeadlineRule:
    data = {"id": "sla", "kind": "deadline", "title": "SLA", "severity": "critical", **overrides}
    return DeadlineRule.model_validate(data)


def ticket(*steps: tuple[str, float], **attrs: object) -> Ticket:
    t = Ticket("c-1")
    t.apply(TicketStep("c-1:received", "received", T0), **attrs)
    for n, (kind, offset) in enumerate(steps):
        t.apply(TicketStep(f"e{n}", kind, T0 + offset))
    return t


def run(
    t: Ticket, rules: list[DeadlineRule], until: float, *, step: float = 30.0
) -> list[tuple[str, str, float]]:
    """Simulate the deadline timer: check every ``step`` seconds, record (clock, stage, offset)."""
    fired = []
    now = T0
    while now <= T0 + until:
        for signal in deadline_signals(t, rules, now):
            t.signaled[signal.key] = "alert"
            fired.append((signal.clock, signal.stage, now - T0))
        now += step
    return fired


def test_warn_at_80_percent_then_breach_at_the_limit() -> None:
    fired = run(ticket(), [rule(resolution=None)], until=2 * HOUR)
    assert fired == [("first_response", "warning", 48 * MIN), ("first_response", "breach", 60 * MIN)]


def test_responding_in_time_stops_the_clock() -> None:
    t = ticket(("responded", 50 * MIN))
    assert run(t, [rule(resolution=None)], until=3 * HOUR) == [("first_response", "warning", 48 * MIN)]
    state = clock_state(t, "first_response", HOUR, T0 + 3 * HOUR)
    assert state is not None and not state.running and state.stopped_at == T0 + 50 * MIN
    assert next_check_at(t, [rule(resolution=None)], T0 + 3 * HOUR) is None


def test_pauses_do_not_count_and_can_name_one_clock() -> None:
    # Paused 30 min at 10 min for everything; the resolution clock alone paused a day later.
    t = ticket(("paused", 10 * MIN), ("resumed", 40 * MIN))
    t.apply(TicketStep("p2", "paused", T0 + 20 * HOUR, deadlines=("resolution",)))
    t.apply(TicketStep("r2", "resumed", T0 + 30 * HOUR, deadlines=("resolution",)))
    fired = run(t, [rule()], until=3 * DAY, step=60)
    assert ("first_response", "warning", 48 * MIN + 30 * MIN) in fired
    assert ("first_response", "breach", 90 * MIN) in fired
    # 48 h of business time: 30 min + 10 h of pauses later.
    assert ("resolution", "warning", 48 * 48 * MIN + 30 * MIN + 10 * HOUR) in fired  # 80% of 48 h
    assert ("resolution", "breach", 48 * HOUR + 30 * MIN + 10 * HOUR) in fired


def test_a_paused_clock_never_breaches_until_resumed() -> None:
    t = ticket(("paused", 40 * MIN))
    fired = run(t, [rule(resolution=None)], until=10 * DAY, step=HOUR / 4)
    assert fired == []
    assert next_check_at(t, [rule(resolution=None)], T0 + DAY) is None
    t.apply(TicketStep("go", "resumed", T0 + 2 * DAY))
    check = next_check_at(t, [rule(resolution=None)], T0 + 2 * DAY)
    assert check == pytest.approx(T0 + 2 * DAY + 8 * MIN)  # 48 min of business time: 40 used


def test_decision_limit_extended_with_a_reason() -> None:
    r = rule(first_response=None, resolution=None, decision="15d")
    t = ticket(regulator_forwarded=True)
    t.apply(TicketStep("ext", "extended", T0 + 5 * DAY, limit_days=30, note="complex case, approved"))
    fired = run(t, [r], until=40 * DAY, step=HOUR)
    assert fired == [("decision", "warning", 24 * DAY), ("decision", "breach", 30 * DAY)]
    # An extension the rule does not allow is ignored: the 15 days stand.
    t2 = ticket()
    t2.apply(TicketStep("ext", "extended", T0 + DAY, limit_days=90, note="x"))
    assert run(t2, [r], until=16 * DAY, step=HOUR)[-1] == ("decision", "breach", 15 * DAY)


def test_an_extension_runs_on_the_scaled_clock_too() -> None:
    r = rule(first_response=None, resolution=None, decision="15d").scaled(60)  # the demo's clock
    assert r.decision == 6 * HOUR and r.decision_extensions == (12 * HOUR, 24 * HOUR)
    t = ticket(regulator_forwarded=True)
    t.apply(TicketStep("ext", "extended", T0 + 2 * HOUR, limit_days=30, note="complex case, approved"))
    fired = run(t, [r], until=20 * HOUR, step=MIN)
    assert fired == [("decision", "warning", 9.6 * HOUR), ("decision", "breach", 12 * HOUR)]
    # Scaling twice multiplies; an extension the rule does not allow is still ignored.
    assert r.scaled(2).time_scale == 120 and r.scaled(2).decision_extensions == (6 * HOUR, 12 * HOUR)
    t2 = ticket()
    t2.apply(TicketStep("ext", "extended", T0 + HOUR, limit_days=90, note="x"))
    assert run(t2, [r], until=8 * HOUR, step=MIN)[-1] == ("decision", "breach", 6 * HOUR)


def test_closing_stops_every_clock_and_late_checks_skip_the_warning() -> None:
    r = rule(decision="15d")
    t = ticket(("closed", 2 * DAY))
    assert (
        clock_state(  # type: ignore[union-attr]  # None only before receipt; this ticket was received
            t, "decision", 15 * DAY, T0 + 20 * DAY
        ).stopped_at
        == T0 + 2 * DAY
    )
    late = ticket()
    signals = deadline_signals(late, [r], T0 + 3 * DAY)  # a worker down for three days
    assert {(s.clock, s.stage) for s in signals} == {("first_response", "breach"), ("resolution", "breach")}


def test_rule_filters_choose_the_complaints() -> None:
    r = rule(filters={"regulator_forwarded": True}, resolution=None)
    assert run(ticket(regulator_forwarded=False), [r], until=2 * HOUR) == []
    assert len(run(ticket(regulator_forwarded=True), [r], until=2 * HOUR)) == 2


def test_events_before_received_and_duplicates() -> None:
    t = Ticket("c-2")
    assert t.apply(TicketStep("early", "responded", T0 + 10))
    assert not t.apply(TicketStep("early", "responded", T0 + 10))  # a retry
    assert clock_state(t, "first_response", HOUR, T0 + 100) is None  # not received yet
    assert deadline_signals(t, [rule()], T0 + 10 * DAY) == []
    t.apply(TicketStep("rcv", "received", T0))
    state = clock_state(t, "first_response", HOUR, T0 + 100)
    assert state is not None and state.stopped_at == T0 + 10
    assert Ticket.from_dict(t.to_dict()) == t


def test_alert_wording_and_identity() -> None:
    r = rule()
    t = ticket(regulator_forwarded=True, regulator_ref="12378-77")
    [warning] = deadline_signals(t, [r], T0 + 50 * MIN)
    alert = build_deadline_alert(r, t, warning, fired_at=T0 + 50 * MIN)
    assert (
        alert.reason
        == "Complaint c-1 (regulator ref 12378-77): first response due in 10 min (83% of 1 h used)"
    )
    assert alert.severity == "warning" and alert.deadline == "first_response" and alert.regulator
    assert alert.due_at == pytest.approx(T0 + HOUR)
    t.signaled[warning.key] = alert.alert_id
    [breach] = deadline_signals(t, [r], T0 + 61 * MIN)
    assert build_deadline_alert(r, t, breach, fired_at=T0 + 61 * MIN).severity == "critical"
    assert build_deadline_alert(r, t, breach, fired_at=1.0).alert_id != alert.alert_id


def test_rule_file_durations() -> None:
    rules = parse_rules(
        "rules: [{id: d, kind: deadline, title: t, severity: warning, first_response: 30m,"
        " resolution: 2d, decision: 15d, decision_extensions: [30d, 60d]}]"
    )
    assert rules.rules[0].limits() == {"first_response": 1800, "resolution": 2 * DAY, "decision": 15 * DAY}
    with pytest.raises(RuleValidationError, match=r"first_response: must be seconds or a number"):
        parse_rules("rules: [{id: d, kind: deadline, title: t, severity: warning, first_response: soon}]")
