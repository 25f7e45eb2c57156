"""Live-call escalation: a caller who names the regulator, a lawyer or the press, while still talking.

The speech side scores every final utterance for escalation risk (weighted key phrases, see
``asr.escalation_risk``); this rule fires on the first utterance at or above ``min_risk_level`` (or
naming one of ``terms``) while the call goes on. Later risky utterances of the same call are
repeats of that alert (its ``occurrences`` and severity go up), not new alerts. The alert names the
phrases that matched, never the caller or the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator

from alerts.alert import Alert, alert_id_for, dedup_key
from alerts.rule_base import Audience, Name, RuleBase, RuleFilters, as_tuple, reject_duplicates

__all__ = ["RISK_LEVELS", "LiveCallRule", "RiskyUtterance", "build_live_call_alert"]

RiskLevel = Literal["none", "low", "medium", "high"]
RISK_LEVELS: tuple[str, ...] = RiskLevel.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class RiskyUtterance:
    """What the rule needs from a scored utterance (``streams`` converts its records into this)."""

    call_id: str
    index: int
    risk: float
    risk_level: str
    risk_terms: tuple[str, ...]
    at: float
    offset_s: float
    live: bool = True
    line: str | None = None
    branch: str | None = None
    regulator_forwarded: bool = False


class LiveCallRule(RuleBase):
    """Fire during a call when an utterance's escalation risk reaches ``min_risk_level``.

    Examples
    --------
    >>> rule = LiveCallRule(id="risky-call", kind="live_call", title="Caller escalating", severity="critical")
    >>> u = RiskyUtterance("c-1", 3, 0.82, "high", ("regulator", "lawyer"), at=1000.0, offset_s=95.0)
    >>> rule.fires_on(u), rule.fires_on(RiskyUtterance("c-1", 4, 0.3, "low", ("refund",), 1010.0, 105.0))
    (True, False)
    """

    kind: Literal["live_call"]
    audiences: tuple[Audience, ...] = Field(("monitoring", "oncall"), min_length=1)
    min_risk_level: Literal["low", "medium", "high"] = "high"
    terms: tuple[Name, ...] = Field((), description="Also fire when any of these phrases is matched.")
    include_uploads: bool = Field(False, description="Also fire on uploaded recordings (not live).")
    filters: RuleFilters | None = Field(None, description="line/branch/regulator_forwarded of the call.")

    _term_list = field_validator("terms", mode="before")(as_tuple)

    @field_validator("terms")
    @classmethod
    def _unique_terms(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return reject_duplicates(values)

    def fires_on(self, u: RiskyUtterance) -> bool:
        """Whether ``u`` is risky enough (and from a call this rule watches)."""
        if not u.live and not self.include_uploads:
            return False
        f = self.filters
        if f is not None and not (
            (f.line is None or u.line in f.line)
            and (f.branch is None or u.branch in f.branch)
            and (f.regulator_forwarded is None or u.regulator_forwarded == f.regulator_forwarded)
        ):
            return False
        level_ok = RISK_LEVELS.index(u.risk_level) >= RISK_LEVELS.index(self.min_risk_level)
        return level_ok or any(term in u.risk_terms for term in self.terms)


def build_live_call_alert(rule: LiveCallRule, u: RiskyUtterance, *, fired_at: float) -> Alert:
    """The alert for a risky utterance (a repeat of the call's alert when one is open).

    Examples
    --------
    >>> rule = LiveCallRule(id="risky-call", kind="live_call", title="Caller escalating", severity="critical")
    >>> a = build_live_call_alert(rule, RiskyUtterance("c-1", 3, 0.82, "high", ("regulator", "lawyer"),
    ...                           at=1000.0, offset_s=95.0, line="95555-1"), fired_at=1000.4)
    >>> a.reason
    'Call c-1 on line 95555-1, 1:35 in: caller mentions regulator, lawyer (risk 0.82, high)'
    >>> a.series, a.call_id, a.window_start
    ('risky-call|call=c-1', 'c-1', 1000)
    """
    group = f"call={u.call_id}"
    key = dedup_key(rule.id, group, u.index)
    minutes, seconds = divmod(int(u.offset_s), 60)
    where = f"Call {u.call_id}" + (f" on line {u.line}" if u.line else "")
    terms = ", ".join(u.risk_terms) if u.risk_terms else "no key phrase"
    said = f"{minutes}:{seconds:02d} in: caller mentions {terms} (risk {u.risk:.2f}, {u.risk_level})"
    return Alert(
        alert_id=alert_id_for(key),
        dedup_key=key,
        series=f"{rule.id}|{group}",
        rule_id=rule.id,
        kind=rule.kind,
        severity=rule.severity,
        title=rule.title,
        reason=f"{where}, {said}",
        group={k: v for k, v in (("line", u.line), ("branch", u.branch)) if v},
        window_start=int(u.at),
        window_end=int(u.at) + 1,
        count=1,
        call_id=u.call_id,
        regulator=u.regulator_forwarded,
        fired_at=fired_at,
        audiences=rule.audiences,
    )
