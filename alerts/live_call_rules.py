"""Rules on a call while it goes on: the caller escalating, and the bank's agent saying what it must not.

The speech side scores every final utterance for escalation risk (weighted key phrases, see
``asr.escalation_risk``); ``live_call`` fires on the first utterance of the caller at or above
``min_risk_level`` (or naming one of ``terms``) while the call goes on. On two-channel calls each
utterance names its speaker: the caller is the ``customer`` (or ``mixed``, a mono call with both
voices), and the bank's ``agent`` is watched by ``agent_phrase``, which fires when the agent says
one of the rule's phrases (a forbidden sales promise such as "guaranteed return" or "稳赚").

Either way the first match is the call's alert and later ones are repeats of it (its
``occurrences`` and severity go up), not new alerts. The alert names the phrases that matched,
never the caller or the rest of the transcript.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import Field, field_validator

from alerts.alert import Alert, alert_header
from alerts.rule_base import Audience, Name, RuleBase, RuleFilters, as_tuple, reject_duplicates

__all__ = [
    "RISK_LEVELS",
    "AgentPhraseRule",
    "LiveCallRule",
    "RiskyUtterance",
    "build_agent_phrase_alert",
    "build_live_call_alert",
]

RiskLevel = Literal["none", "low", "medium", "high"]
RISK_LEVELS: tuple[str, ...] = get_args(RiskLevel)

#: A space between two non-ASCII characters: recognizers write Chinese words apart ("稳 赚").
_SPACE_IN_WIDE_TEXT = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass(frozen=True, slots=True)
class RiskyUtterance:
    """What the rules need from a scored utterance (``streams`` converts its records into this).

    ``speaker`` is ``customer`` or ``agent`` on a two-channel call, ``mixed`` on a mono one;
    ``text`` is only read for agent phrases and never copied into an alert.
    """

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
    speaker: str = "mixed"
    text: str = ""


class _CallRule(RuleBase):
    """What the call rules share: the calls they watch and who hears about them."""

    audiences: tuple[Audience, ...] = Field(("monitoring", "oncall"), min_length=1)
    include_uploads: bool = Field(False, description="Also fire on uploaded recordings (not live).")
    filters: RuleFilters | None = Field(None, description="line/branch/regulator_forwarded of the call.")

    def watches(self, u: RiskyUtterance) -> bool:
        """Whether ``u`` comes from a call this rule looks at (live or an included upload, filters met)."""
        if not u.live and not self.include_uploads:
            return False
        f = self.filters
        return f is None or (
            (f.line is None or u.line in f.line)
            and (f.branch is None or u.branch in f.branch)
            and (f.regulator_forwarded is None or u.regulator_forwarded == f.regulator_forwarded)
        )


class LiveCallRule(_CallRule):
    """Fire during a call when a caller's utterance reaches ``min_risk_level`` of escalation risk.

    Examples
    --------
    >>> rule = LiveCallRule(id="risky-call", kind="live_call", title="Caller escalating", severity="critical")
    >>> u = RiskyUtterance("c-1", 3, 0.82, "high", ("regulator", "lawyer"), at=1000.0, offset_s=95.0)
    >>> rule.fires_on(u), rule.fires_on(RiskyUtterance("c-1", 4, 0.3, "low", ("refund",), 1010.0, 105.0))
    (True, False)
    """

    kind: Literal["live_call"]
    min_risk_level: Literal["low", "medium", "high"] = "high"
    terms: tuple[Name, ...] = Field((), description="Also fire when any of these phrases is matched.")

    _term_list = field_validator("terms", mode="before")(as_tuple)

    @field_validator("terms")
    @classmethod
    def _unique_terms(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return reject_duplicates(values)

    def fires_on(self, u: RiskyUtterance) -> bool:
        """Whether ``u`` is the caller's, risky enough, and from a call this rule watches."""
        if u.speaker == "agent" or not self.watches(u):
            return False
        level_ok = RISK_LEVELS.index(u.risk_level) >= RISK_LEVELS.index(self.min_risk_level)
        return level_ok or any(term in u.risk_terms for term in self.terms)


class AgentPhraseRule(_CallRule):
    """Fire during a call when the bank's agent says one of ``phrases`` (e.g. a forbidden promise).

    Phrases match anywhere in the agent's words, whatever the case or width (full-width letters are
    letters) and however the recognizer spaced Chinese words; so list the promise itself, not a
    word its disclaimer also contains ("保本" is inside "不保本").

    Examples
    --------
    >>> rule = AgentPhraseRule(id="sales-promise", kind="agent_phrase", title="Forbidden promise",
    ...                        severity="critical", phrases=["guaranteed return", "稳赚"])
    >>> agent = RiskyUtterance("c-1", 7, 0.0, "none", (), at=1000.0, offset_s=95.0, speaker="agent",
    ...                        text="It is a ＧＵＡＲＡＮＴＥＥＤ Return, 稳 赚 的")
    >>> rule.matched(agent)
    ('guaranteed return', '稳赚')
    >>> from dataclasses import replace
    >>> rule.matched(replace(agent, speaker="customer")), rule.matched(replace(agent, text="a fund"))
    ((), ())
    """

    kind: Literal["agent_phrase"]
    phrases: tuple[Name, ...] = Field(min_length=1, description="Fire when the agent says any of these.")

    _phrase_list = field_validator("phrases", mode="before")(as_tuple)

    @field_validator("phrases")
    @classmethod
    def _distinct_phrases(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        first: dict[str, str] = {}
        for phrase in reject_duplicates(values):
            folded = _fold(phrase)
            if not folded:
                raise ValueError(f"{phrase!r} is blank")
            if folded in first:
                raise ValueError(
                    f"{first[folded]!r} and {phrase!r} are the same phrase (case and width aside)"
                )
            first[folded] = phrase
        return values

    def matched(self, u: RiskyUtterance) -> tuple[str, ...]:
        """The phrases (as the rule spells them) the agent says in ``u``; empty for anyone else's words
        and for calls this rule does not watch."""
        if u.speaker != "agent" or not self.watches(u):
            return ()
        said = _fold(u.text)  # folding a few phrases per utterance costs microseconds: not cached
        return tuple(phrase for phrase in self.phrases if _fold(phrase) in said)


def _fold(text: str) -> str:
    """``text`` as phrases are compared: NFKC, casefolded, white space folded, none inside Chinese."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return _SPACE_IN_WIDE_TEXT.sub("", folded)


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
    terms = ", ".join(u.risk_terms) if u.risk_terms else "no key phrase"
    return _call_alert(
        rule, u, f"caller mentions {terms} (risk {u.risk:.2f}, {u.risk_level})", fired_at=fired_at
    )


def build_agent_phrase_alert(
    rule: AgentPhraseRule, u: RiskyUtterance, phrases: tuple[str, ...], *, fired_at: float
) -> Alert:
    """The alert for an agent utterance with ``phrases`` (from :meth:`AgentPhraseRule.matched`); a
    repeat of the call's alert when one is open.

    Examples
    --------
    >>> rule = AgentPhraseRule(id="sales-promise", kind="agent_phrase", title="Forbidden promise",
    ...                        severity="critical", phrases=["guaranteed return", "保本保息"])
    >>> u = RiskyUtterance("c-1", 7, 0.0, "none", (), at=1000.0, offset_s=95.0, line="95555-1",
    ...                    speaker="agent", text="Sir, this is a guaranteed return, trust me")
    >>> a = build_agent_phrase_alert(rule, u, rule.matched(u), fired_at=1000.4)
    >>> a.reason
    'Call c-1 on line 95555-1, 1:35 in: agent said guaranteed return'
    >>> a.series, a.kind, a.audiences
    ('sales-promise|call=c-1', 'agent_phrase', ('monitoring', 'oncall'))
    """
    return _call_alert(rule, u, f"agent said {', '.join(phrases)}", fired_at=fired_at)


def _call_alert(
    rule: LiveCallRule | AgentPhraseRule, u: RiskyUtterance, said: str, *, fired_at: float
) -> Alert:
    """One occurrence per utterance (a re-evaluated one keeps its id), repeats merged per call and rule."""
    minutes, seconds = divmod(int(u.offset_s), 60)
    where = f"Call {u.call_id}" + (f" on line {u.line}" if u.line else "")
    return Alert(
        **alert_header(rule, group=f"call={u.call_id}", occurrence=u.index, fired_at=fired_at),
        reason=f"{where}, {minutes}:{seconds:02d} in: {said}",
        group={k: v for k, v in (("line", u.line), ("branch", u.branch)) if v},
        window_start=int(u.at),
        window_end=int(u.at) + 1,
        count=1,
        call_id=u.call_id,
        regulator=u.regulator_forwarded,
    )
