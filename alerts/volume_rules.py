"""Volume rules: a tag's volume surging past its learned pattern, a channel or line going quiet.

Both watch count series per bucket (from the per-minute rollups) with a detector per series:
:class:`~alerts.surge_detector.SurgeDetector` per tag, :class:`~alerts.silence_detector.SilenceDetector`
per channel, line or branch. This module holds their rules and the alerts they raise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alerts.alert import Alert, alert_header
from alerts.groups import encode_group
from alerts.rule_base import ANY_TAG, GroupField, Name, RuleBase, RuleFilters
from alerts.silence_detector import SilenceDetector, SilenceSignal
from alerts.surge_detector import SurgeDetector, SurgeSignal

__all__ = ["SilenceRule", "SurgeRule", "build_silence_alert", "build_surge_alert"]

_HOUR = 3600


def _bucket_ok(seconds: int) -> int:
    if seconds % 60 or _HOUR % seconds:
        raise PydanticCustomError("bucket_seconds", "must be a whole number of minutes that divides an hour")
    return seconds


class SurgeRule(RuleBase):
    """Fire when a tag's complaint volume departs upward from its learned daily pattern.

    Examples
    --------
    >>> rule = SurgeRule(id="surge", kind="surge", title="Surge", severity="warning", dimension="banking77")
    >>> rule.tag, rule.bucket_seconds, rule.false_alarms_per_day, rule.cooldown_seconds
    ('*', 300, 0.5, 10800)
    >>> rule.detector().bucket_seconds
    300
    """

    kind: Literal["surge"]
    dimension: str = Field(min_length=1, max_length=64)
    tag: Name | None = Field(ANY_TAG, description="One tag, or '*' for each tag of the dimension.")
    tags: tuple[Name, ...] | None = Field(None, min_length=1, description="Several tags, each watched alone.")
    bucket_seconds: int = Field(300, ge=60, le=_HOUR, description="Counts are compared per bucket of this.")
    false_alarms_per_day: float = Field(
        0.5, gt=0, le=24, description="How often a normal day may cross the threshold (the budget)."
    )
    min_score: float = Field(3.5, ge=1, le=50, description="The residual score never fires below this.")
    warmup_days: float = Field(2.0, ge=0, le=30, description="History needed before it may fire.")
    cooldown_seconds: int = Field(
        3 * _HOUR, gt=0, description="Firing again within this long is a repeat of the same alert."
    )

    @field_validator("bucket_seconds")
    @classmethod
    def _bucket(cls, seconds: int) -> int:
        return _bucket_ok(seconds)

    @model_validator(mode="before")
    @classmethod
    def _tags_replace_tag(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("tags") is not None and "tag" not in data:
            return {**data, "tag": None}
        return data

    @model_validator(mode="after")
    def _one_tag_spec(self) -> SurgeRule:
        if (self.tag is None) == (self.tags is None):
            raise PydanticCustomError("tag_spec", "give exactly one of 'tag' or 'tags'")
        return self

    def watches(self, tag: str) -> bool:
        """Whether the volume of ``tag`` (in this rule's dimension) is watched."""
        if self.tag is not None:
            return self.tag in (ANY_TAG, tag)
        return tag in (self.tags or ())

    def detector(self) -> SurgeDetector:
        """A fresh detector for one of this rule's series."""
        return SurgeDetector(
            bucket_seconds=self.bucket_seconds,
            false_alarms_per_day=self.false_alarms_per_day,
            min_score=self.min_score,
            warmup_days=self.warmup_days,
        )


class SilenceRule(RuleBase):
    """Fire when a channel, line or branch that normally has traffic has had none for a while.

    Examples
    --------
    >>> rule = SilenceRule(id="quiet", kind="silence", title="Intake quiet", severity="critical",
    ...                    per="channel", filters={"channel": ["web", "app"]})
    >>> rule.quiet_seconds, rule.min_expected, rule.detector().quiet_seconds
    (900, 10.0, 900)
    """

    kind: Literal["silence"]
    per: GroupField = Field(description="Watch each channel, line or branch on its own.")
    filters: RuleFilters | None = Field(None, description="Only these channels/lines/branches.")
    bucket_seconds: int = Field(60, ge=60, le=_HOUR)
    quiet_seconds: int = Field(900, ge=60, le=24 * _HOUR, description="How long without any complaint.")
    min_expected: float = Field(
        10.0, gt=0, description="Complaints the pattern must expect in that time (chance: exp(-this))."
    )
    warmup_days: float = Field(1.0, ge=0, le=30)
    cooldown_seconds: int = Field(_HOUR, gt=0)

    @field_validator("bucket_seconds")
    @classmethod
    def _bucket(cls, seconds: int) -> int:
        return _bucket_ok(seconds)

    @model_validator(mode="after")
    def _quiet_in_buckets(self) -> SilenceRule:
        if self.quiet_seconds % self.bucket_seconds:
            raise PydanticCustomError("quiet_seconds", "must be a whole number of buckets")
        if self.filters is not None and self.filters.regulator_forwarded is not None:
            raise PydanticCustomError("filters", "regulator_forwarded cannot filter a silence rule")
        return self

    def detector(self) -> SilenceDetector:
        return SilenceDetector(
            bucket_seconds=self.bucket_seconds,
            quiet_seconds=self.quiet_seconds,
            min_expected=self.min_expected,
            warmup_days=self.warmup_days,
        )


def _duration(seconds: float) -> str:
    if seconds >= _HOUR and seconds % _HOUR == 0:
        return f"{int(seconds // _HOUR)} h"
    return f"{int(seconds // 60)} min"


def build_surge_alert(
    rule: SurgeRule, *, tag: str, bucket_start: int, signal: SurgeSignal, fired_at: float
) -> Alert:
    """The alert for a surge of ``tag`` detected in the bucket at ``bucket_start``.

    Examples
    --------
    >>> from alerts.surge_detector import SurgeSignal
    >>> rule = SurgeRule(id="surge", kind="surge", title="Surge", severity="warning", dimension="banking77")
    >>> a = build_surge_alert(rule, tag="card_arrival", bucket_start=600,
    ...                       signal=SurgeSignal(300, 42.0, 8.4, 7.1, 3.0), fired_at=905.0)
    >>> a.reason
    'card_arrival: 42 complaints in 5 min, about 8 expected (5.0x, score 7.1)'
    >>> a.series, a.window_start, a.window_end, a.expected, a.observed
    ('surge|tag=card_arrival', 600, 900, 8.4, 42.0)
    """
    group = encode_group(tag)
    ratio = signal.observed / signal.expected if signal.expected > 0 else float("inf")
    return Alert(
        **alert_header(rule, group=group, occurrence=bucket_start, fired_at=fired_at),
        reason=(
            f"{tag}: {signal.observed:.0f} complaints in {_duration(signal.span_seconds)}, "
            f"about {signal.expected:.0f} expected ({ratio:.1f}x, score {signal.score:.1f})"
        ),
        dimension=rule.dimension,
        tag=tag,
        window_start=bucket_start + rule.bucket_seconds - signal.span_seconds,
        window_end=bucket_start + rule.bucket_seconds,
        count=int(signal.observed),
        expected=signal.expected,
        observed=signal.observed,
    )


def build_silence_alert(
    rule: SilenceRule, *, value: str, bucket_start: int, signal: SilenceSignal, fired_at: float
) -> Alert:
    """The alert for ``rule.per`` = ``value`` having gone quiet by the end of the bucket at ``bucket_start``.

    Examples
    --------
    >>> from alerts.silence_detector import SilenceSignal
    >>> rule = SilenceRule(id="quiet", kind="silence", title="Intake quiet", severity="critical",
    ...                    per="channel")
    >>> a = build_silence_alert(rule, value="wechat", bucket_start=3540, signal=SilenceSignal(900, 42.0),
    ...                         fired_at=3605.0)
    >>> a.reason, a.group, a.window_start, a.window_end
    ('No complaints from channel wechat for 15 min; about 42 expected', {'channel': 'wechat'}, 2700, 3600)
    """
    group = encode_group("*", [(rule.per, value)])
    end = bucket_start + rule.bucket_seconds
    return Alert(
        **alert_header(rule, group=group, occurrence=bucket_start, fired_at=fired_at),
        reason=f"No complaints from {rule.per} {value} for {_duration(signal.quiet_seconds)}; "
        f"about {signal.expected:.0f} expected",
        group={rule.per: value},
        window_start=end - signal.quiet_seconds,
        window_end=end,
        count=0,
        expected=signal.expected,
        observed=0.0,
    )
