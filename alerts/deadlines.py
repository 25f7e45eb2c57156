"""Deadlines of a complaint's handling: clocks, pauses, extensions, warnings at 80% and breaches.

Each complaint a deadline rule covers has up to three clocks, all started when it was received:

- ``first_response`` (default 60 min), stopped by ``responded`` (or ``resolved``/``closed``);
- ``resolution`` (default 48 h), stopped by ``resolved`` (or ``closed``);
- ``decision``, the regulatory decision limit (15 days under CBIRC Order 2020 No.3), stopped by
  ``closed`` (the decision communicated); an ``extended`` event moves it to one of the rule's
  ``decision_extensions`` (30 or 60 days), with the reason in its note.

``paused`` stops the named clocks (all by default) until ``resumed``, e.g. while an external
appraisal runs. On a demo's faster clock (:meth:`DeadlineRule.scaled`) every limit is divided,
extensions included. A clock *warns* once its paused-excluded elapsed time reaches ``warn_at`` of its
limit and *breaches* at the limit. Everything here is computed from the ticket's events and a
``now`` passed in, so tests run weeks of deadlines on a simulated clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import Field, PrivateAttr, field_validator

from alerts.alert import Alert, alert_header
from alerts.durations import Duration, format_duration
from alerts.rule_base import RuleBase, RuleFilters, Severity, as_tuple

__all__ = [
    "CLOCKS",
    "DAY_S",
    "STOPPED_BY",
    "ClockState",
    "DeadlineRule",
    "DeadlineSignal",
    "Ticket",
    "TicketStep",
    "build_deadline_alert",
    "clock_state",
    "deadline_signals",
    "next_check_at",
    "scale_limit",
]

Clock = Literal["first_response", "resolution", "decision"]
CLOCKS: tuple[str, ...] = get_args(Clock)
#: Ticket event kinds that stop each clock for good.
STOPPED_BY: dict[str, frozenset[str]] = {
    "first_response": frozenset({"responded", "resolved", "closed"}),
    "resolution": frozenset({"resolved", "closed"}),
    "decision": frozenset({"closed"}),
}
_CLOCK_NAMES = {"first_response": "first response", "resolution": "resolution", "decision": "decision"}
Stage = Literal["warning", "breach"]
DAY_S = 86_400


def scale_limit(limit_s: int, factor: float) -> int:
    """A limit on a clock ``factor`` times faster: whole seconds, at least one.

    Examples
    --------
    >>> scale_limit(30 * 86_400, 60), scale_limit(3600, 86_400)
    (43200, 1)
    """
    return max(1, round(limit_s / factor))


class DeadlineRule(RuleBase):
    """Deadlines for the complaints that meet ``filters`` (all complaints when there are none).

    ``severity`` is the breach's severity; the warning's is ``warning_severity``.

    Examples
    --------
    >>> rule = DeadlineRule(id="sla", kind="deadline", title="SLA", severity="critical", decision="15d")
    >>> rule.limits()
    {'first_response': 3600, 'resolution': 172800, 'decision': 1296000}
    >>> rule.decision_extensions
    (2592000, 5184000)
    """

    kind: Literal["deadline"]
    filters: RuleFilters | None = None
    first_response: Duration | None = Field(3600, description="First response limit (None: not tracked).")
    resolution: Duration | None = Field(48 * 3600, description="Resolution limit.")
    decision: Duration | None = Field(None, description="Regulatory decision limit, e.g. 15d.")
    decision_extensions: tuple[Duration, ...] = Field(
        (30 * 86_400, 60 * 86_400), description="Limits an `extended` event may set for the decision."
    )
    warn_at: float = Field(0.8, gt=0, lt=1, description="Share of a limit at which it warns.")
    warning_severity: Severity = "warning"
    #: How many times faster than real time this rule's clock runs (set by :meth:`scaled`, never
    #: by a rules file): what an ``extended`` event's day count is divided by.
    _time_scale: float = PrivateAttr(1.0)

    _extension_list = field_validator("decision_extensions", mode="before")(as_tuple)

    @property
    def time_scale(self) -> float:
        """How many times faster than real time the rule's limits run (1 but in a demo)."""
        return self._time_scale

    def limits(self) -> dict[str, int]:
        """The clocks this rule runs and their (unextended) limits in seconds."""
        limits = {
            "first_response": self.first_response,
            "resolution": self.resolution,
            "decision": self.decision,
        }
        return {clock: limit for clock, limit in limits.items() if limit is not None}

    def scaled(self, factor: float) -> DeadlineRule:
        """This rule on a clock ``factor`` times faster (a demo's): each limit and each allowed
        extension divided by it (:func:`scale_limit`); an ``extended`` event's day count is then
        read on the same clock (:attr:`time_scale`).

        Examples
        --------
        >>> rule = DeadlineRule(id="sla", kind="deadline", title="SLA", severity="warning", decision="15d")
        >>> fast = rule.scaled(60)
        >>> fast.limits()
        {'first_response': 60, 'resolution': 2880, 'decision': 21600}
        >>> fast.decision_extensions, fast.time_scale
        ((43200, 86400), 60.0)
        >>> rule.scaled(1) is rule
        True
        """
        if factor == 1:
            return self

        def cut(limit: int | None) -> int | None:
            return None if limit is None else scale_limit(limit, factor)

        faster = self.model_copy(
            update={
                "first_response": cut(self.first_response),
                "resolution": cut(self.resolution),
                "decision": cut(self.decision),
                "decision_extensions": tuple(scale_limit(e, factor) for e in self.decision_extensions),
            }
        )
        faster._time_scale = self._time_scale * factor
        return faster

    def matches(self, ticket: Ticket) -> bool:
        """Whether the rule covers ``ticket`` (by what its ``received`` event said)."""
        f = self.filters
        if f is None:
            return True
        return (
            (f.channel is None or ticket.channel in f.channel)
            and (f.branch is None or ticket.branch in f.branch)
            and (f.line is None or ticket.line in f.line)
            and (f.regulator_forwarded is None or ticket.regulator_forwarded == f.regulator_forwarded)
        )


@dataclass(frozen=True, slots=True)
class TicketStep:
    """One handling event (see ``events.ticket_records.TicketEvent``), as the clocks need it."""

    event_id: str
    kind: str
    at: float
    deadlines: tuple[str, ...] | None = None
    limit_days: int | None = None
    note: str | None = None


@dataclass
class Ticket:
    """A complaint's handling so far: what it is (from ``received``), its steps, alerts raised."""

    complaint_id: str
    received_at: float | None = None
    channel: str | None = None
    branch: str | None = None
    line: str | None = None
    regulator_forwarded: bool = False
    regulator_ref: str | None = None
    steps: list[TicketStep] = field(default_factory=list)
    #: ``rule_id:clock:stage:limit`` -> id of the alert raised for it.
    signaled: dict[str, str] = field(default_factory=dict)

    def apply(self, step: TicketStep, **received: Any) -> bool:
        """Record ``step`` (``received`` also sets the complaint's attributes); False if seen before."""
        if any(s.event_id == step.event_id for s in self.steps):
            return False
        if step.kind == "received":
            if self.received_at is not None:
                return False
            self.received_at = step.at
            for name, value in received.items():
                setattr(self, name, value)
        self.steps.append(step)
        return True

    def stopped(self, clock: str) -> bool:
        return any(s.kind in STOPPED_BY[clock] for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complaint_id": self.complaint_id,
            "received_at": self.received_at,
            "channel": self.channel,
            "branch": self.branch,
            "line": self.line,
            "regulator_forwarded": self.regulator_forwarded,
            "regulator_ref": self.regulator_ref,
            "steps": [
                [s.event_id, s.kind, s.at, list(s.deadlines) if s.deadlines else None, s.limit_days, s.note]
                for s in self.steps
            ],
            "signaled": self.signaled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        steps = [
            TicketStep(e, k, float(at), tuple(d) if d else None, limit, note)
            for e, k, at, d, limit, note in data["steps"]
        ]
        return cls(
            complaint_id=data["complaint_id"],
            received_at=data["received_at"],
            channel=data["channel"],
            branch=data["branch"],
            line=data["line"],
            regulator_forwarded=bool(data["regulator_forwarded"]),
            regulator_ref=data["regulator_ref"],
            steps=steps,
            signaled=dict(data["signaled"]),
        )


@dataclass(frozen=True, slots=True)
class ClockState:
    """One clock at ``now``: limit, business time used, whether it runs, when it stopped."""

    clock: str
    limit_s: int
    elapsed_s: float
    paused_s: float
    running: bool
    stopped_at: float | None

    def reaches_at(self, share: float, now: float) -> float:
        """When the clock reaches ``share`` of its limit if it keeps running from ``now``."""
        return now + max(0.0, share * self.limit_s - self.elapsed_s)


def _applies(step: TicketStep, clock: str) -> bool:
    return step.deadlines is None or clock in step.deadlines


def clock_state(
    ticket: Ticket,
    clock: str,
    limit_s: int,
    now: float,
    *,
    extensions: Sequence[int] = (),
    time_scale: float = 1.0,
) -> ClockState | None:
    """Replay the ticket's steps for one clock; None before the complaint was received.

    An ``extended`` step sets the decision limit to its day count on the clock ``time_scale``
    times faster, if that is one of ``extensions`` (a scaled rule's: see :meth:`DeadlineRule.scaled`).

    Examples
    --------
    >>> t = Ticket("c1")
    >>> t.apply(TicketStep("r", "received", 0.0))
    True
    >>> t.apply(TicketStep("p", "paused", 600.0)), t.apply(TicketStep("u", "resumed", 1500.0))
    (True, True)
    >>> s = clock_state(t, "first_response", 3600, now=2000.0)
    >>> s.elapsed_s, s.paused_s, s.running
    (1100.0, 900.0, True)
    >>> t.apply(TicketStep("x", "responded", 2400.0))
    True
    >>> s = clock_state(t, "first_response", 3600, now=9000.0)
    >>> s.elapsed_s, s.running, s.stopped_at
    (1500.0, False, 2400.0)
    >>> t.apply(TicketStep("e", "extended", 3000.0, limit_days=30))
    True
    >>> clock_state(t, "decision", 21600, 9000.0, extensions=(43200, 86400), time_scale=60).limit_s
    43200
    """
    if ticket.received_at is None:
        return None
    start = ticket.received_at
    limit = limit_s
    elapsed = paused = 0.0
    running_since: float | None = start
    paused_since: float | None = None
    stopped_at = None
    for step in sorted(ticket.steps, key=lambda s: s.at):
        at = max(step.at, start)
        if at > now:
            break
        if step.kind in STOPPED_BY[clock]:
            stopped_at = at
            break
        if step.kind == "paused" and _applies(step, clock) and running_since is not None:
            elapsed += at - running_since
            running_since, paused_since = None, at
        elif step.kind == "resumed" and _applies(step, clock) and paused_since is not None:
            paused += at - paused_since
            running_since, paused_since = at, None
        elif step.kind == "extended" and clock == "decision" and step.limit_days is not None:
            extended = scale_limit(step.limit_days * DAY_S, time_scale)
            if extended in extensions:
                limit = extended
    end = stopped_at if stopped_at is not None else now
    if running_since is not None:
        elapsed += end - running_since
    if paused_since is not None:
        paused += end - paused_since
    return ClockState(
        clock, limit, elapsed, paused, stopped_at is None and running_since is not None, stopped_at
    )


@dataclass(frozen=True, slots=True)
class DeadlineSignal:
    """A clock reaching its warning share or its limit."""

    rule_id: str
    clock: str
    stage: Stage
    limit_s: int
    elapsed_s: float
    paused_s: float
    due_at: float

    @property
    def key(self) -> str:
        return f"{self.rule_id}:{self.clock}:{self.stage}:{self.limit_s}"


def _clocks(ticket: Ticket, rule: DeadlineRule, now: float) -> Iterator[ClockState]:
    for clock, limit in rule.limits().items():
        state = clock_state(
            ticket, clock, limit, now, extensions=rule.decision_extensions, time_scale=rule.time_scale
        )
        if state is not None and state.stopped_at is None:
            yield state


def deadline_signals(ticket: Ticket, rules: Sequence[DeadlineRule], now: float) -> list[DeadlineSignal]:
    """Warnings and breaches due at ``now`` that were not signaled yet (a breach supersedes a
    warning that was never sent, e.g. after downtime)."""
    signals = []
    for rule in rules:
        if not rule.matches(ticket):
            continue
        for state in _clocks(ticket, rule, now):
            due_at = state.reaches_at(1.0, now)
            stages: tuple[tuple[Stage, float], ...] = (("breach", 1.0), ("warning", rule.warn_at))
            for stage, share in stages:
                if state.elapsed_s >= share * state.limit_s:
                    signal = DeadlineSignal(
                        rule.id,
                        state.clock,
                        stage,
                        state.limit_s,
                        state.elapsed_s,
                        state.paused_s,
                        due_at,
                    )
                    if signal.key not in ticket.signaled:
                        signals.append(signal)
                    break
    return signals


def next_check_at(ticket: Ticket, rules: Sequence[DeadlineRule], now: float) -> float | None:
    """The next moment a running clock reaches an unsignaled stage; None while nothing runs."""
    times = []
    for rule in rules:
        if not rule.matches(ticket):
            continue
        for state in _clocks(ticket, rule, now):
            if not state.running:
                continue
            prefix = f"{rule.id}:{state.clock}"
            if f"{prefix}:breach:{state.limit_s}" in ticket.signaled:
                continue
            warned = f"{prefix}:warning:{state.limit_s}" in ticket.signaled
            times.append(state.reaches_at(1.0 if warned else rule.warn_at, now))
    return min(times) if times else None


def build_deadline_alert(
    rule: DeadlineRule, ticket: Ticket, signal: DeadlineSignal, fired_at: float
) -> Alert:
    """The alert for a warning or a breach of one of ``ticket``'s clocks.

    Examples
    --------
    >>> rule = DeadlineRule(id="sla", kind="deadline", title="SLA", severity="critical")
    >>> t = Ticket("c-9", received_at=0.0, regulator_forwarded=True, regulator_ref="12378-1")
    >>> s = DeadlineSignal("sla", "first_response", "warning", 3600, 2880.0, 0.0, 3600.0)
    >>> a = build_deadline_alert(rule, t, s, fired_at=2881.0)
    >>> a.reason, a.severity, a.regulator
    ('Complaint c-9 (regulator ref 12378-1): first response due in 12 min (80% of 1 h used)', 'warning', True)
    """
    name = _CLOCK_NAMES[signal.clock]
    subject = f"Complaint {ticket.complaint_id}"
    if ticket.regulator_ref:
        subject += f" (regulator ref {ticket.regulator_ref})"
    if signal.stage == "warning":
        remaining = max(0.0, signal.limit_s - signal.elapsed_s)
        share = round(100 * signal.elapsed_s / signal.limit_s)
        left = format_duration(round(remaining / 60) * 60 or 60)
        reason = f"{subject}: {name} due in {left} ({share}% of {format_duration(signal.limit_s)} used)"
    else:
        reason = f"{subject}: {name} deadline of {format_duration(signal.limit_s)} passed"
    if signal.paused_s >= 60:
        reason += f" (paused {format_duration(round(signal.paused_s / 60) * 60)} not counted)"
    return Alert(
        **alert_header(
            rule,
            group=f"complaint={ticket.complaint_id}&deadline={signal.clock}&stage={signal.stage}",
            occurrence=signal.limit_s,
            fired_at=fired_at,
            merge_repeats=False,
            severity=rule.warning_severity if signal.stage == "warning" else rule.severity,
        ),
        reason=reason,
        window_start=int(ticket.received_at or fired_at),
        window_end=int(signal.due_at),
        count=1,
        complaint_id=ticket.complaint_id,
        deadline=signal.clock,
        due_at=signal.due_at,
        regulator=ticket.regulator_forwarded,
    )
