"""Alert rule definitions: the models a ``rules.yaml`` file is validated into.

Rules are data, not code, so the monitoring office can add a rule without a deploy; they are
validated strictly (unknown fields are errors) because a typo in a rule silently never fires.
Each kind of rule is its own model in a union discriminated by ``kind``, so new kinds (surge,
deadline) are one new model plus one line in :data:`Rule`. Parsing files lives in
:mod:`alerts.rules_file`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "ANY_TAG",
    "AUDIENCES",
    "GROUP_FIELDS",
    "Audience",
    "GroupField",
    "Rule",
    "RuleFilters",
    "RuleSet",
    "Severity",
    "ThresholdRule",
]

Severity = Literal["info", "warning", "critical"]
Audience = Literal["monitoring", "regulator_desk", "oncall"]
AUDIENCES: tuple[str, ...] = Audience.__args__  # type: ignore[attr-defined]
GroupField = Literal["branch", "channel", "line"]
GROUP_FIELDS: tuple[str, ...] = GroupField.__args__  # type: ignore[attr-defined]

#: The ``tag`` value meaning "every tag of the dimension, each counted on its own".
ANY_TAG = "*"

_SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_Name = Annotated[str, Field(min_length=1, max_length=128)]


def _as_tuple(value: object) -> object:
    """Let a YAML author write ``channel: phone`` for ``channel: [phone]``."""
    return (value,) if isinstance(value, str) else value


def _reject_duplicates(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleFilters(_Strict):
    """Conditions a complaint must meet before a rule counts it; every given condition must hold.

    Examples
    --------
    >>> f = RuleFilters(channel="phone", regulator_forwarded=True)
    >>> f.channel, f.branch, f.regulator_forwarded
    (('phone',), None, True)
    """

    channel: tuple[_Name, ...] | None = Field(None, min_length=1, description="Any of these channels.")
    branch: tuple[_Name, ...] | None = Field(None, min_length=1, description="Any of these branches.")
    line: tuple[_Name, ...] | None = Field(None, min_length=1, description="Any of these lines/queues.")
    regulator_forwarded: bool | None = Field(None, description="Only (true) or never (false) forwarded ones.")

    _lists = field_validator("channel", "branch", "line", mode="before")(_as_tuple)

    @field_validator("channel", "branch", "line")
    @classmethod
    def _unique(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else _reject_duplicates(values)


class _RuleBase(_Strict):
    """Fields every kind of rule has: who it is, how loud it is, and who hears it."""

    id: str = Field(pattern=_SLUG, max_length=64, description="Stable slug; part of every alert's dedup key.")
    title: str = Field(min_length=1, max_length=200)
    severity: Severity
    audiences: tuple[Audience, ...] = Field(("monitoring",), min_length=1)
    enabled: bool = True
    description: str | None = Field(None, max_length=2000)

    _audience_list = field_validator("audiences", mode="before")(_as_tuple)

    @field_validator("audiences")
    @classmethod
    def _unique_audiences(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _reject_duplicates(values)


class ThresholdRule(_RuleBase):
    """Fire when at least ``threshold`` complaints with a tag fall in one window of one group.

    ``tag: "*"`` counts every tag of ``dimension`` separately (one alert per tag that crosses).
    ``window`` is only ``tumbling`` today (epoch-aligned, non-overlapping windows); the field exists
    so that ``sliding`` can be added without changing existing rule files.

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
    tag: _Name | None = Field(None, description="One tag, or '*' for any tag of the dimension.")
    tags: tuple[_Name, ...] | None = Field(
        None, min_length=1, description="Several tags, each counted alone."
    )
    filters: RuleFilters | None = None
    group_by: tuple[GroupField, ...] = Field((), description="Count each value combination separately.")
    window: Literal["tumbling"] = "tumbling"
    window_seconds: int = Field(gt=0, le=7 * 24 * 3600)
    threshold: int = Field(ge=1)
    cooldown_seconds: int | None = Field(
        None, gt=0, description="After firing for a group, stay quiet this long (event time) for that group."
    )

    _group_list = field_validator("group_by", mode="before")(_as_tuple)

    @field_validator("group_by", "tags")
    @classmethod
    def _unique_lists(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else _reject_duplicates(values)

    @model_validator(mode="after")
    def _one_tag_spec(self) -> ThresholdRule:
        if (self.tag is None) == (self.tags is None):
            raise PydanticCustomError("tag_spec", "give exactly one of 'tag' or 'tags'")
        if self.tags is not None and ANY_TAG in self.tags:
            raise PydanticCustomError("tag_spec", "'*' must be given as tag: \"*\", not inside 'tags'")
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


#: Every kind of rule; add a kind as ``ThresholdRule | SurgeRule`` (pydantic picks by ``kind``).
Rule = Annotated[ThresholdRule, Field(discriminator="kind")]


class RuleSet(_Strict):
    """All rules of one file, ids unique (an id is part of every alert's dedup key).

    Examples
    --------
    >>> rs = RuleSet(rules=[])
    >>> len(rs), rs.get("missing") is None
    (0, True)
    """

    rules: tuple[Rule, ...] = ()

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[ThresholdRule, ...]) -> tuple[ThresholdRule, ...]:
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

    _by_id: dict[str, ThresholdRule] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self._by_id.update((rule.id, rule) for rule in self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> ThresholdRule | None:
        """The rule with ``rule_id``, or None (e.g. removed since an alert was counted)."""
        return self._by_id.get(rule_id)

    @property
    def enabled(self) -> tuple[ThresholdRule, ...]:
        """The rules that are switched on."""
        return tuple(rule for rule in self.rules if rule.enabled)
