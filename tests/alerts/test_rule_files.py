from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts import RuleSet, RuleValidationError, ThresholdRule, load_rules, parse_rules

RuleDataFactory = Callable[..., dict[str, Any]]
CONFIG_RULES = Path(__file__).resolve().parents[2] / "config" / "rules.yaml"


def dump(*rules: dict[str, Any]) -> str:
    return yaml.safe_dump({"rules": list(rules)})


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(RuleValidationError) as info:
        parse_rules(text)
    return info.value.problems


def test_shipped_rules_file_is_valid() -> None:
    rules = load_rules(CONFIG_RULES)
    ids = [rule.id for rule in rules.rules]
    assert "card-arrival-burst" in ids
    thresholds = rules.enabled_of(ThresholdRule)
    assert [rule for rule in thresholds if rule.any_tag], "the default file should show an any-tag rule"
    assert all(rule.dimension == "banking77" for rule in thresholds)
    # Every kind is shown, with the webhook targets' URLs out of the file.
    assert {rule.kind for rule in rules.rules} == {
        "threshold",
        "surge",
        "silence",
        "regulator_forwarded",
        "deadline",
        "live_call",
        "agent_phrase",
    }
    assert rules.webhooks and all(hook.url is None and hook.url_env for hook in rules.webhooks)


def test_valid_rule_gets_defaults(rule_data: RuleDataFactory) -> None:
    rule = parse_rules(dump(rule_data())).rules[0]
    assert isinstance(rule, ThresholdRule)
    assert rule.window == "tumbling"
    assert rule.audiences == ("monitoring",)
    assert rule.enabled is True
    assert rule.cooldown_seconds is None
    assert rule.group_by == ()


@pytest.mark.parametrize("text", ["", "# only a comment\n", "rules: []"])
def test_empty_files_give_empty_ruleset(text: str) -> None:
    assert len(parse_rules(text)) == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"window_seconds": 0}, "rules[2] (bad-one): window_seconds: must be > 0"),
        ({"window_seconds": -5}, "rules[2] (bad-one): window_seconds: must be > 0"),
        ({"window_seconds": 1.5}, "rules[2] (bad-one): window_seconds: must be a whole number"),
        ({"threshold": 0}, "rules[2] (bad-one): threshold: must be >= 1"),
        (
            {"severity": "loud"},
            "rules[2] (bad-one): severity: must be one of 'info', 'warning' or 'critical'",
        ),
        ({"window": "hopping"}, "rules[2] (bad-one): window: must be one of 'tumbling' or 'sliding'"),
        ({"window": "sliding"}, "rules[2] (bad-one): hop_seconds: required for a sliding window"),
        (
            {"window": "sliding", "hop_seconds": 7},
            "rules[2] (bad-one): hop_seconds: must be smaller than window_seconds and divide it exactly",
        ),
        (
            {"window": "sliding", "window_seconds": 3600, "hop_seconds": 1},
            "rules[2] (bad-one): hop_seconds: window_seconds / hop_seconds must be at most 60",
        ),
        ({"hop_seconds": 30}, "rules[2] (bad-one): hop_seconds: only for window: sliding"),
        ({"title": None}, "rules[2] (bad-one): title: required"),
        ({"kind": "weather"}, "rules[2] (bad-one): kind: unknown kind 'weather' (expected 'threshold'"),
        ({"kind": None}, "rules[2] (bad-one): kind: required"),
        ({"colour": "red"}, "rules[2] (bad-one): colour: unknown field"),
        ({"cooldown_seconds": 0}, "rules[2] (bad-one): cooldown_seconds: must be > 0"),
        (
            {"group_by": ["region"]},
            "rules[2] (bad-one): group_by[0]: must be one of 'branch', 'channel' or 'line'",
        ),
        ({"group_by": ["branch", "branch"]}, "rules[2] (bad-one): group_by: 'branch' is listed twice"),
        ({"audiences": ["ceo"]}, "rules[2] (bad-one): audiences[0]: must be one of"),
        ({"filters": {"channel": []}}, "rules[2] (bad-one): filters.channel: must have at least 1 item(s)"),
        ({"filters": {"queue": ["a"]}}, "rules[2] (bad-one): filters.queue: unknown field"),
        (
            {"filters": {"regulator_forwarded": "maybe"}},
            "rules[2] (bad-one): filters.regulator_forwarded: must be",
        ),
        ({"tag": None}, "rules[2] (bad-one): tag: give exactly one of 'tag' or 'tags'"),
        ({"tags": ["a", "b"]}, "rules[2] (bad-one): tag: give exactly one of 'tag' or 'tags'"),
        ({"tag": None, "tags": ["a", "*"]}, "rules[2] (bad-one): tag: '*' must be given as tag"),
        ({"tag": None, "tags": []}, "rules[2] (bad-one): tags: must have at least 1 item(s)"),
        ({"dimension": ""}, "rules[2] (bad-one): dimension: must not be empty"),
    ],
)
def test_problem_names_rule_field_and_problem(
    overrides: dict[str, Any], expected: str, rule_data: RuleDataFactory
) -> None:
    text = dump(rule_data(id="ok-0"), rule_data(id="ok-1"), rule_data(id="bad-one", **overrides))
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_bad_id_is_named_by_index_and_raw_id(rule_data: RuleDataFactory) -> None:
    problems = problems_of(dump(rule_data(id="Card Surge")))
    assert problems == ("rules[0] (Card Surge): id: must be a lowercase slug (letters, digits, '-' or '_')",)


def test_rule_without_id_is_named_by_index(rule_data: RuleDataFactory) -> None:
    problems = problems_of(dump(rule_data(), rule_data(id=None)))
    assert problems == ("rules[1]: id: required",)


def test_all_problems_are_reported_at_once(rule_data: RuleDataFactory) -> None:
    problems = problems_of(dump(rule_data(id="a", threshold=0), rule_data(id="b", window_seconds=0)))
    assert problems == ("rules[0] (a): threshold: must be >= 1", "rules[1] (b): window_seconds: must be > 0")


def test_duplicate_ids_are_rejected(rule_data: RuleDataFactory) -> None:
    problems = problems_of(dump(rule_data(id="a"), rule_data(id="b"), rule_data(id="a")))
    assert problems == ("rules[2] (a): id: duplicate of rules[0]",)


def test_duplicate_yaml_keys_are_rejected() -> None:
    text = "rules:\n  - id: a\n    threshold: 3\n    threshold: 5\n"
    (problem,) = problems_of(text)
    assert "duplicate key 'threshold'" in problem
    assert "line 4" in problem


def test_invalid_yaml_names_the_line() -> None:
    (problem,) = problems_of("rules:\n  - id: a\n   kind: x\n")
    assert problem.startswith("not valid YAML:")
    assert "line 3" in problem


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    assert problems_of(text) == ("top level must be a mapping with a 'rules' list",)


def test_unknown_top_level_key() -> None:
    assert problems_of("rules: []\nrule: []\n") == ("rule: unknown field",)


def test_a_rule_that_is_not_a_mapping() -> None:
    assert problems_of("rules: [3]") == ("rules[0]: rule: must be a mapping",)


def test_single_values_are_accepted_for_lists(rule_data: RuleDataFactory) -> None:
    rule = parse_rules(
        dump(rule_data(group_by="branch", audiences="oncall", filters={"channel": "phone", "line": "L1"}))
    ).rules[0]
    assert rule.group_by == ("branch",)
    assert rule.audiences == ("oncall",)
    assert rule.filters is not None
    assert rule.filters.channel == ("phone",)
    assert rule.filters.line == ("L1",)


def test_load_rules_names_the_file(tmp_path: Path, rule_data: RuleDataFactory) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(dump(rule_data(id="x", window_seconds=0)), encoding="utf-8")
    with pytest.raises(RuleValidationError) as info:
        load_rules(path)
    message = str(info.value)
    assert str(path) in message
    assert "rules[0] (x): window_seconds: must be > 0" in message
    assert info.value.source == str(path)


def test_load_rules_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_rules(tmp_path / "absent.yaml")


def test_ruleset_lookup_and_enabled(rule_data: RuleDataFactory) -> None:
    rules = parse_rules(dump(rule_data(id="on"), rule_data(id="off", enabled=False)))
    assert rules.get("off") is not None
    assert rules.get("nope") is None
    assert [rule.id for rule in rules.enabled] == ["on"]


def test_ruleset_built_directly_also_rejects_duplicate_ids(rule_data: RuleDataFactory) -> None:
    rule = ThresholdRule.model_validate(rule_data())
    with pytest.raises(ValueError, match="duplicate rule id"):
        RuleSet(rules=(rule, rule))


def test_tag_matching(make_rule: Callable[..., ThresholdRule]) -> None:
    one = make_rule(tag="card_arrival")
    many = make_rule(tag=None, tags=["card_arrival", "lost_or_stolen_card"])
    anything = make_rule(tag="*")
    assert one.matches_tag("card_arrival") and not one.matches_tag("lost_or_stolen_card")
    assert many.matches_tag("lost_or_stolen_card") and not many.matches_tag("top_up_failed")
    assert anything.matches_tag("top_up_failed") and anything.any_tag
    assert many.tag_label == "card_arrival,lost_or_stolen_card"
