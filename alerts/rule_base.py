"""What every kind of alert rule shares: severity, audiences, filters and the common fields.

Kept apart from the kinds (:mod:`alerts.rules` and the modules it imports) so that each kind can
live next to its evaluation code without import cycles.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ANY_TAG",
    "AUDIENCES",
    "GROUP_FIELDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "SLUG",
    "Audience",
    "GroupField",
    "Name",
    "RuleBase",
    "RuleFilters",
    "Severity",
    "StrictModel",
    "as_tuple",
    "reject_duplicates",
]

Severity = Literal["info", "warning", "critical"]
Audience = Literal["monitoring", "regulator_desk", "oncall"]
AUDIENCES: tuple[str, ...] = get_args(Audience)
SEVERITIES: tuple[str, ...] = get_args(Severity)
#: Order of severities, for "at least warning" filters.
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
GroupField = Literal["branch", "channel", "line"]
GROUP_FIELDS: tuple[str, ...] = get_args(GroupField)

#: The ``tag`` value meaning "every tag of the dimension, each counted on its own".
ANY_TAG = "*"

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Name = Annotated[str, Field(min_length=1, max_length=128)]


def as_tuple(value: object) -> object:
    """Let a YAML author write ``channel: phone`` for ``channel: [phone]``."""
    return (value,) if isinstance(value, str) else value


def reject_duplicates(values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleFilters(StrictModel):
    """Conditions a complaint must meet before a rule counts it; every given condition must hold.

    Examples
    --------
    >>> f = RuleFilters(channel="phone", regulator_forwarded=True)
    >>> f.channel, f.branch, f.regulator_forwarded
    (('phone',), None, True)
    """

    channel: tuple[Name, ...] | None = Field(None, min_length=1, description="Any of these channels.")
    branch: tuple[Name, ...] | None = Field(None, min_length=1, description="Any of these branches.")
    line: tuple[Name, ...] | None = Field(None, min_length=1, description="Any of these lines/queues.")
    regulator_forwarded: bool | None = Field(None, description="Only (true) or never (false) forwarded ones.")

    _lists = field_validator("channel", "branch", "line", mode="before")(as_tuple)

    @field_validator("channel", "branch", "line")
    @classmethod
    def _unique(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else reject_duplicates(values)


class RuleBase(StrictModel):
    """Fields every kind of rule has: who it is, how loud it is, and who hears it."""

    id: str = Field(pattern=SLUG, max_length=64, description="Stable slug; part of every alert's dedup key.")
    title: str = Field(min_length=1, max_length=200)
    severity: Severity
    audiences: tuple[Audience, ...] = Field(("monitoring",), min_length=1)
    enabled: bool = True
    description: str | None = Field(None, max_length=2000)

    _audience_list = field_validator("audiences", mode="before")(as_tuple)

    @field_validator("audiences")
    @classmethod
    def _unique_audiences(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return reject_duplicates(values)
