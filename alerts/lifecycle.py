"""An alert's life: fired, repeated, acknowledged, escalated, resolved - as pure state transitions.

Every function takes the current :class:`~alerts.alert.Alert` and returns the next one (or None when
nothing changes), with the time passed in, so the rules can be tested with a simulated clock and the
store (:mod:`storage.alert_states`) only has to apply them atomically.

- A *repeat* (another occurrence in the same ``series``, e.g. the same rule and group crossing in a
  later window) updates the open alert - one more occurrence, the latest count and reason - instead
  of making a new alert, as long as the alert is not resolved and, when the rule has a cooldown,
  the repeat comes within ``cooldown_seconds`` (event time) of the previous occurrence.
- *Acknowledge* records who took it; *resolve* closes it (a later repeat is a new alert).
- *Escalate*: an alert nobody acknowledged in time is handed to the on-call manager.
"""

from __future__ import annotations

from alerts.alert import Alert
from alerts.rule_base import SEVERITY_RANK, Severity

__all__ = [
    "TransitionError",
    "acknowledge",
    "escalate",
    "escalation_due_at",
    "merge_repeat",
    "resolve",
]


class TransitionError(ValueError):
    """The transition does not apply to the alert's status (e.g. acknowledging a resolved alert)."""


def merge_repeat(current: Alert, repeat: Alert, *, cooldown_seconds: int | None) -> Alert | None:
    """``current`` updated by ``repeat``, or None when ``repeat`` must be a new alert.

    Examples
    --------
    >>> from alerts.alert import Alert
    >>> first = Alert(alert_id="a1", dedup_key="r|g|0", series="r|g", rule_id="r", kind="threshold",
    ...               severity="warning", title="t", reason="20 complaints", window_start=0, window_end=60,
    ...               count=20, fired_at=61.0, audiences=("monitoring",))
    >>> again = first.model_copy(update={"alert_id": "a2", "dedup_key": "r|g|60", "window_start": 60,
    ...                                  "window_end": 120, "count": 25, "reason": "25 complaints",
    ...                                  "fired_at": 121.0})
    >>> merged = merge_repeat(first, again, cooldown_seconds=300)
    >>> merged.alert_id, merged.occurrences, merged.count, merged.reason, merged.window_end
    ('a1', 2, 25, '25 complaints', 120)
    >>> merge_repeat(first, again, cooldown_seconds=30) is None      # quiet long enough: a new alert
    True
    >>> merge_repeat(first.model_copy(update={"status": "resolved"}), again, cooldown_seconds=300) is None
    True
    """
    if current.status == "resolved" or not current.series or current.series != repeat.series:
        return None
    previous = current.last_window_start if current.last_window_start is not None else current.window_start
    if cooldown_seconds is not None and abs(repeat.window_start - previous) >= cooldown_seconds:
        return None
    return current.model_copy(
        update={
            "occurrences": current.occurrences + 1,
            "count": repeat.count,
            "reason": repeat.reason,
            "expected": repeat.expected,
            "observed": repeat.observed,
            "window_end": max(current.window_end, repeat.window_end),
            "last_window_start": max(previous, repeat.window_start),
            "updated_at": repeat.fired_at,
            # Muted or not as of this repeat: once a silence ends, the next repeat is pushed again.
            "silenced_by": repeat.silenced_by,
            # A repeat may be louder than the first occurrence (e.g. a call getting worse).
            "severity": max(current.severity, repeat.severity, key=SEVERITY_RANK.__getitem__),
        }
    )


def acknowledge(alert: Alert, *, by: str, at: float) -> Alert | None:
    """The alert acknowledged by ``by``; None if it already was (acknowledging twice is harmless).

    Raises
    ------
    TransitionError
        When the alert is resolved.

    Examples
    --------
    >>> from alerts.alert import Alert
    >>> a = Alert(alert_id="a", dedup_key="k", rule_id="r", kind="threshold", severity="critical",
    ...           title="t", reason="why", window_start=0, window_end=60, fired_at=61.0,
    ...           audiences=("oncall",))
    >>> acked = acknowledge(a, by="li.wei", at=90.0)
    >>> acked.status, acked.acked_by, acked.acked_at
    ('acknowledged', 'li.wei', 90.0)
    >>> acknowledge(acked, by="someone.else", at=95.0) is None
    True
    """
    if alert.status == "resolved":
        raise TransitionError(f"alert {alert.alert_id} is resolved; it cannot be acknowledged")
    if alert.status == "acknowledged":
        return None
    return alert.model_copy(
        update={"status": "acknowledged", "acked_by": by, "acked_at": at, "updated_at": at}
    )


def resolve(alert: Alert, *, by: str, at: float, note: str | None = None) -> Alert | None:
    """The alert resolved by ``by`` (with an optional note); None if it already was.

    Examples
    --------
    >>> from alerts.alert import Alert
    >>> a = Alert(alert_id="a", dedup_key="k", rule_id="r", kind="threshold", severity="info",
    ...           title="t", reason="why", window_start=0, window_end=60, fired_at=61.0,
    ...           audiences=("monitoring",))
    >>> done = resolve(a, by="ops", at=120.0, note="courier delay, fixed")
    >>> done.status, done.resolved_by, done.resolution
    ('resolved', 'ops', 'courier delay, fixed')
    >>> resolve(done, by="ops", at=130.0) is None
    True
    """
    if alert.status == "resolved":
        return None
    return alert.model_copy(
        update={
            "status": "resolved",
            "resolved_by": by,
            "resolved_at": at,
            "resolution": note,
            "updated_at": at,
        }
    )


def escalation_due_at(alert: Alert, *, after_seconds: float, min_severity: Severity) -> float | None:
    """When ``alert`` escalates if nobody acknowledges it, or None if it never does.

    Examples
    --------
    >>> from alerts.alert import Alert
    >>> a = Alert(alert_id="a", dedup_key="k", rule_id="r", kind="threshold", severity="critical",
    ...           title="t", reason="why", window_start=0, window_end=60, fired_at=100.0,
    ...           audiences=("oncall",))
    >>> escalation_due_at(a, after_seconds=300, min_severity="critical")
    400.0
    >>> escalation_due_at(a.model_copy(update={"severity": "warning"}), after_seconds=300,
    ...                   min_severity="critical") is None
    True
    """
    if alert.status != "open" or alert.escalated_at is not None:
        return None
    if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[min_severity]:
        return None
    return alert.fired_at + after_seconds


def escalate(alert: Alert, *, at: float) -> Alert | None:
    """The alert handed to the on-call manager; None if it was acknowledged, resolved or escalated.

    Examples
    --------
    >>> from alerts.alert import Alert
    >>> a = Alert(alert_id="a", dedup_key="k", rule_id="r", kind="threshold", severity="critical",
    ...           title="t", reason="why", window_start=0, window_end=60, fired_at=100.0,
    ...           audiences=("monitoring",))
    >>> e = escalate(a, at=400.0)
    >>> e.escalated_at, e.audiences
    (400.0, ('monitoring', 'oncall'))
    >>> escalate(e, at=500.0) is None
    True
    """
    if alert.status != "open" or alert.escalated_at is not None:
        return None
    audiences = alert.audiences if "oncall" in alert.audiences else (*alert.audiences, "oncall")
    return alert.model_copy(update={"escalated_at": at, "audiences": audiences, "updated_at": at})
