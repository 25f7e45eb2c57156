"""Alert rule definitions: the models a ``rules.yaml`` file is validated into.

Rules are data, not code, so the monitoring office can add a rule without a deploy; they are
validated strictly (unknown fields are errors) because a typo in a rule silently never fires.
Each kind of rule is its own model in a union discriminated by ``kind``, so new kinds (surge,
deadline) are one new model plus one line in :data:`Rule`. Parsing files lives in
:mod:`alerts.rules_file`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alerts.deadlines import DeadlineRule
from alerts.live_call_rules import AgentPhraseRule, LiveCallRule
from alerts.regulator_rules import RegulatorRule
from alerts.rule_base import (
    ANY_TAG,
    GroupField,
    Name,
    RuleBase,
    RuleFilters,
    StrictModel,
    as_tuple,
    reject_duplicates,
)
from alerts.volume_rules import SilenceRule, SurgeRule
from alerts.webhooks import Webhook

__all__ = ["Rule", "RuleSet", "ThresholdRule"]

#: Most sliding windows one complaint counts in (each is a table entry and an increment per batch).
MAX_WINDOWS_PER_EVENT = 60


class ThresholdRule(RuleBase):
    """Fire when at least ``threshold`` complaints with a tag fall in one window of one group.

    ``tag: "*"`` counts every tag of ``dimension`` separately (one alert per tag that crosses).
    ``window: tumbling`` counts in epoch-aligned, non-overlapping windows; ``window: sliding`` in
    windows of ``window_seconds`` that start every ``hop_seconds`` (so a burst straddling a
    tumbling boundary is still seen whole). Overlapping windows that cross one after another are
    repeats of one alert (its ``occurrences`` go up), not new alerts.

    Examples
    --------
    >>> rule = ThresholdRule(
    ...     id="card-arrival-burst", kind="threshold", title="Card arrival burst", severity="warning",
    ...     dimension="banking77", tag="card_arrival", window_seconds=60, threshold=20,
    ... )
    >>> rule.matches_tag("card_arrival"), rule.matches_tag("lost_card")
    (True, False)
    >>> rule.tag_label
    'card_arrival'
    """

    kind: Literal["threshold"]
    dimension: str = Field(min_length=1, max_length=64, description="Taxonomy dimension the tag belongs to.")
    tag: Name | None = Field(None, description="One tag, or '*' for any tag of the dimension.")
    tags: tuple[Name, ...] | None = Field(None, min_length=1, description="Several tags, each counted alone.")
    filters: RuleFilters | None = None
    group_by: tuple[GroupField, ...] = Field((), description="Count each value combination separately.")
    window: Literal["tumbling", "sliding"] = "tumbling"
    window_seconds: int = Field(gt=0, le=7 * 24 * 3600)
    hop_seconds: int | None = Field(
        None,
        gt=0,
        description="Sliding windows only: a new window starts this often (divides window_seconds).",
    )
    threshold: int = Field(ge=1)
    cooldown_seconds: int | None = Field(
        None,
        gt=0,
        description="A crossing this long (event time) after the group's previous one is a new alert.",
    )

    _group_list = field_validator("group_by", mode="before")(as_tuple)

    @field_validator("group_by", "tags")
    @classmethod
    def _unique_lists(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else reject_duplicates(values)

    @model_validator(mode="after")
    def _one_tag_spec(self) -> ThresholdRule:
        if (self.tag is None) == (self.tags is None):
            raise PydanticCustomError("tag_spec", "give exactly one of 'tag' or 'tags'")
        if self.tags is not None and ANY_TAG in self.tags:
            raise PydanticCustomError("tag_spec", "'*' must be given as tag: \"*\", not inside 'tags'")
        if self.window == "sliding":
            if self.hop_seconds is None:
                raise PydanticCustomError("hop_seconds", "required for a sliding window")
            if self.hop_seconds >= self.window_seconds or self.window_seconds % self.hop_seconds:
                raise PydanticCustomError(
                    "hop_seconds", "must be smaller than window_seconds and divide it exactly"
                )
            if self.window_seconds // self.hop_seconds > MAX_WINDOWS_PER_EVENT:
                raise PydanticCustomError(
                    "hop_seconds",
                    "window_seconds / hop_seconds must be at most {n}",
                    {"n": MAX_WINDOWS_PER_EVENT},
                )
        elif self.hop_seconds is not None:
            raise PydanticCustomError("hop_seconds", "only for window: sliding")
        return self

    @property
    def any_tag(self) -> bool:
        """Whether every tag of the dimension is counted."""
        return self.tag == ANY_TAG

    @property
    def tag_label(self) -> str:
        """The tag selection as written, for titles and logs."""
        return self.tag if self.tag is not None else ",".join(self.tags or ())

    def matches_tag(self, tag: str) -> bool:
        """Whether complaints with ``tag`` (in this rule's dimension) are counted."""
        if self.tag is not None:
            return self.tag in (ANY_TAG, tag)
        return tag in (self.tags or ())


#: Every kind of rule (pydantic picks the model by ``kind``).
Rule = Annotated[
    ThresholdRule | SurgeRule | SilenceRule | RegulatorRule | DeadlineRule | LiveCallRule | AgentPhraseRule,
    Field(discriminator="kind"),
]


R = TypeVar("R", bound=RuleBase)


class RuleSet(StrictModel):
    """All rules of one file, ids unique (an id is part of every alert's dedup key).

    Examples
    --------
    >>> rs = RuleSet(rules=[])
    >>> len(rs), rs.get("missing") is None
    (0, True)
    """

    rules: tuple[Rule, ...] = ()
    webhooks: tuple[Webhook, ...] = ()

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        first_index: dict[str, int] = {}
        for index, rule in enumerate(rules):
            if rule.id in first_index:
                raise PydanticCustomError(
                    "duplicate_rule_id",
                    "duplicate rule id {id!r} (rules[{first}] and rules[{index}])",
                    {"id": rule.id, "first": first_index[rule.id], "index": index},
                )
            first_index[rule.id] = index
        return rules

    @field_validator("webhooks")
    @classmethod
    def _unique_webhook_ids(cls, hooks: tuple[Webhook, ...]) -> tuple[Webhook, ...]:
        first_index: dict[str, int] = {}
        for index, hook in enumerate(hooks):
            if hook.id in first_index:
                raise PydanticCustomError(
                    "duplicate_webhook_id",
                    "duplicate webhook id {id!r} (webhooks[{first}] and webhooks[{index}])",
                    {"id": hook.id, "first": first_index[hook.id], "index": index},
                )
            first_index[hook.id] = index
        return hooks

    _by_id: dict[str, Rule] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self._by_id.update((rule.id, rule) for rule in self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with ``rule_id``, or None (e.g. removed since an alert was counted)."""
        return self._by_id.get(rule_id)

    @property
    def enabled(self) -> tuple[Rule, ...]:
        """The rules that are switched on."""
        return tuple(rule for rule in self.rules if rule.enabled)

    def enabled_of(self, kind: type[R]) -> tuple[R, ...]:
        """The switched-on rules of one kind, e.g. ``rules.enabled_of(ThresholdRule)``."""
        of_kind = [rule for rule in self.rules if isinstance(rule, kind)]
        return tuple(rule for rule in of_kind if rule.enabled)
