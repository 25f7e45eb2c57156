"""Rules on a call while it goes on: the caller escalating (live_call), the agent's phrases (agent_phrase)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from alerts import (
    AgentPhraseRule,
    LiveCallRule,
    RiskyUtterance,
    RuleValidationError,
    build_agent_phrase_alert,
    build_live_call_alert,
    parse_rules,
)

PROMISES = ["guaranteed return", "No risk at all", "稳赚", "零风险"]


def phrase_rule(**overrides: Any) -> AgentPhraseRule:
    data: dict[str, Any] = {
        "id": "sales-promise",
        "kind": "agent_phrase",
        "title": "Forbidden promise",
        "severity": "warning",
        "phrases": PROMISES,
    }
    return AgentPhraseRule.model_validate({**data, **overrides})


def live_rule(**overrides: Any) -> LiveCallRule:
    data = {"id": "risky-call", "kind": "live_call", "title": "Caller escalating", "severity": "critical"}
    return LiveCallRule.model_validate({**data, **overrides})


def utterance(text: str = "", *, speaker: str = "agent", index: int = 3, **overrides: Any) -> RiskyUtterance:
    u = RiskyUtterance("c-1", index, 0.0, "none", (), at=1000.0 + index, offset_s=95.0, line="95555-1")
    return replace(u, speaker=speaker, text=text, **overrides)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This fund has a GUARANTEED RETURN, sir.", ("guaranteed return",)),
        ("ａ　ｇｕａｒａｎｔｅｅｄ　ｒｅｔｕｒｎ", ("guaranteed return",)),  # full-width letters and space
        ("there is no   risk\tat ALL", ("No risk at all",)),
        ("这个产品稳赚，零风险", ("稳赚", "零风险")),
        ("这个 产品 稳 赚 的 零 风险", ("稳赚", "零风险")),  # a recognizer's spaced words
        ("Returns are not guaranteed and you may lose money", ()),
        ("There is no guaranteed return", ("guaranteed return",)),  # words, not meaning (documented)
        ("", ()),
    ],
)
def test_agent_phrases_match_whatever_case_width_and_spacing(text: str, expected: tuple[str, ...]) -> None:
    assert phrase_rule().matched(utterance(text)) == expected


def test_phrases_are_reported_as_the_rule_spells_them() -> None:
    rule = phrase_rule(phrases=["ＧＵＡＲＡＮＴＥＥＤ Return", "保本保息"])
    assert rule.matched(utterance("guaranteed return and 保本 保息")) == (
        "ＧＵＡＲＡＮＴＥＥＤ Return",
        "保本保息",
    )


@pytest.mark.parametrize("speaker", ["customer", "mixed"])
def test_agent_phrases_ignore_the_customer_and_mono_calls(speaker: str) -> None:
    assert phrase_rule().matched(utterance("is this a guaranteed return? 稳赚吗?", speaker=speaker)) == ()


def test_agent_phrases_skip_uploads_unless_included() -> None:
    upload = utterance("稳赚", live=False)
    assert phrase_rule().matched(upload) == ()
    assert phrase_rule(include_uploads=True).matched(upload) == ("稳赚",)


@pytest.mark.parametrize(
    ("filters", "fires"),
    [
        ({"line": ["95555-1"]}, True),
        ({"line": ["95555-2"]}, False),
        ({"branch": ["sh-01"]}, True),
        ({"branch": ["bj-01"]}, False),
        ({"regulator_forwarded": False}, True),
        ({"regulator_forwarded": True}, False),
    ],
)
def test_call_filters_apply_to_both_call_rules(filters: dict[str, Any], fires: bool) -> None:
    agent = utterance("稳赚", branch="sh-01")
    caller = replace(agent, speaker="customer", risk=0.9, risk_level="high", risk_terms=("regulator",))
    assert bool(phrase_rule(filters=filters).matched(agent)) is fires
    assert live_rule(filters=filters).fires_on(caller) is fires


def test_live_call_rule_never_fires_on_the_agent() -> None:
    rule = live_rule(min_risk_level="low", terms=["lawyer"])
    risky = utterance("talk to my lawyer", risk=0.95, risk_level="high", risk_terms=("lawyer",))
    assert not rule.fires_on(risky)
    assert rule.fires_on(replace(risky, speaker="customer"))
    assert rule.fires_on(replace(risky, speaker="mixed"))


def test_agent_phrase_alert_names_the_phrases_only() -> None:
    rule = phrase_rule()
    u = utterance("Mr Wang, trust me: guaranteed return, 稳赚!", branch="sh-01", regulator_forwarded=True)
    alert = build_agent_phrase_alert(rule, u, rule.matched(u), fired_at=1004.2)
    assert alert.reason == "Call c-1 on line 95555-1, 1:35 in: agent said guaranteed return, 稳赚"
    assert "Wang" not in alert.reason and "trust me" not in alert.reason
    assert (alert.kind, alert.rule_id, alert.call_id, alert.severity) == (
        "agent_phrase",
        "sales-promise",
        "c-1",
        "warning",
    )
    assert alert.group == {"line": "95555-1", "branch": "sh-01"} and alert.regulator
    assert alert.audiences == ("monitoring", "oncall")


def test_repeats_in_a_call_share_a_series_and_reevaluation_keeps_the_id() -> None:
    rule = phrase_rule()
    first, again, later = utterance("稳赚", index=3), utterance("稳赚", index=3), utterance("零风险", index=9)
    a1, a2, a3 = (
        build_agent_phrase_alert(rule, u, rule.matched(u), fired_at=2000.0) for u in (first, again, later)
    )
    other_call = replace(later, call_id="c-2")
    a4 = build_agent_phrase_alert(rule, other_call, rule.matched(other_call), fired_at=2000.0)
    assert a1.alert_id == a2.alert_id and a1.dedup_key == a2.dedup_key  # redelivered: the same occurrence
    assert a3.alert_id != a1.alert_id and a3.series == a1.series == "sales-promise|call=c-1"  # a repeat
    assert a4.series == "sales-promise|call=c-2"  # another call: another alert
    # The same keys as a live-call alert of the same rule id and utterance, apart from the kind.
    live = live_rule(id="sales-promise")
    assert build_live_call_alert(live, first, fired_at=2000.0).dedup_key == a1.dedup_key


def rules_yaml(**rule: Any) -> str:
    base = {
        "id": "sales-promise",
        "kind": "agent_phrase",
        "title": "Forbidden promise",
        "severity": "warning",
    }
    return yaml.safe_dump({"rules": [{**base, **rule}]}, allow_unicode=True)


def test_rules_file_accepts_an_agent_phrase_rule() -> None:
    rules = parse_rules(rules_yaml(phrases=["guaranteed return", "稳赚"], filters={"line": "95555-1"}))
    (rule,) = rules.enabled_of(AgentPhraseRule)
    assert rule.phrases == ("guaranteed return", "稳赚")
    assert rule.audiences == ("monitoring", "oncall") and not rule.include_uploads
    assert rule.filters is not None and rule.filters.line == ("95555-1",)
    (one,) = parse_rules(rules_yaml(phrases="零风险")).enabled_of(AgentPhraseRule)
    assert one.phrases == ("零风险",)  # a single phrase may be written without a list


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({}, "rules[0] (sales-promise): phrases: required"),
        ({"phrases": []}, "rules[0] (sales-promise): phrases: must have at least 1 item(s)"),
        ({"phrases": [""]}, "rules[0] (sales-promise): phrases[0]: must not be empty"),
        ({"phrases": ["  "]}, "rules[0] (sales-promise): phrases: '  ' is blank"),
        (
            {"phrases": ["稳赚", "零风险", "稳赚"]},
            "rules[0] (sales-promise): phrases: '稳赚' is listed twice",
        ),
        (
            {"phrases": ["Guaranteed return", "ｇｕａｒａｎｔｅｅｄ  RETURN"]},
            "rules[0] (sales-promise): phrases: 'Guaranteed return' and 'ｇｕａｒａｎｔｅｅｄ  RETURN' "
            "are the same phrase (case and width aside)",
        ),
        (
            {"phrases": ["稳赚"], "min_risk_level": "high"},
            "rules[0] (sales-promise): min_risk_level: unknown field",
        ),
    ],
)
def test_rules_file_names_a_bad_agent_phrase_rule(rule: dict[str, Any], expected: str) -> None:
    with pytest.raises(RuleValidationError) as info:
        parse_rules(rules_yaml(**rule))
    assert info.value.problems == (expected,)
