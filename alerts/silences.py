"""Silences: mute matching alerts for a while, with a reason, without switching a rule off.

Like Alertmanager's: a silence has matchers (rule id, tag, branch, channel, severity; every one
given must equal the alert's), a start and an end, a reason and who set it. An alert raised while a
silence matches it is still recorded (state, stream, history) but marked ``silenced_by`` the
silence, and feeds and webhooks do not push it; nor does it escalate. Once the silence ends, the
next repeat of the alert is pushed as usual (the silence re-arms nothing by itself: it only stops
muting).

Examples
--------
>>> from alerts.alert import Alert
>>> s = Silence(id="s-1", matchers=SilenceMatchers(rule_id="card-surge", branch="sh-01"), starts_at=0,
...             ends_at=3600, reason="known card outage, ticket INC-42", created_by="duty-manager")
>>> a = Alert(alert_id="a", dedup_key="k", rule_id="card-surge", kind="surge", severity="warning",
...           title="t", reason="r", group={"branch": "sh-01"}, window_start=0, window_end=60,
...           fired_at=100.0, audiences=("monitoring",))
>>> s.matches(a, now=100.0), s.matches(a, now=4000.0)
(True, False)
>>> silenced_by([s], a.model_copy(update={"group": {"branch": "bj-01"}}), now=100.0) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from alerts.alert import Alert
from alerts.rule_base import Name, Severity, StrictModel

__all__ = ["MAX_SILENCE_S", "Silence", "SilenceMatchers", "silenced_by"]

#: Longest silence: a mute nobody remembers is an outage nobody sees.
MAX_SILENCE_S = 7 * 24 * 3600


class SilenceMatchers(StrictModel):
    """What an alert must have to be muted: every matcher given, equal (at least one).

    The JSON schema says so too (no nulls, at least one property), so clients and fuzzers
    generated from the OpenAPI document send only what is accepted.
    """

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    rule_id: Name | SkipJsonSchema[None] = None
    tag: Name | SkipJsonSchema[None] = None
    branch: Name | SkipJsonSchema[None] = None
    channel: Name | SkipJsonSchema[None] = None
    severity: Severity | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _at_least_one(self) -> SilenceMatchers:
        if not any(value is not None for value in self.model_dump().values()):
            raise ValueError("a silence needs at least one matcher (rule_id, tag, branch, channel, severity)")
        return self

    def matches(self, alert: Alert) -> bool:
        wanted = {
            "rule_id": alert.rule_id,
            "tag": alert.tag,
            "branch": alert.group.get("branch"),
            "channel": alert.group.get("channel"),
            "severity": alert.severity,
        }
        return all(value is None or wanted[name] == value for name, value in self.model_dump().items())


class Silence(StrictModel):
    """One silence: its matchers, when it mutes (``starts_at`` <= now < ``ends_at``), why and who."""

    id: Name
    matchers: SilenceMatchers
    starts_at: float
    ends_at: float
    reason: str = Field(min_length=1, max_length=500)
    created_by: Name
    created_at: float = 0.0
    expired_by: Name | None = Field(None, description="Who ended it early, if anyone.")

    @model_validator(mode="after")
    def _sane_window(self) -> Silence:
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence must end after it starts")
        if self.ends_at - self.starts_at > MAX_SILENCE_S:
            raise ValueError(f"a silence lasts at most {MAX_SILENCE_S // 86400} days")
        return self

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def state(self, now: float) -> str:
        """``pending``, ``active`` or ``expired`` at ``now``."""
        return "pending" if now < self.starts_at else "active" if now < self.ends_at else "expired"

    def matches(self, alert: Alert, *, now: float) -> bool:
        return self.active(now) and self.matchers.matches(alert)


def silenced_by(silences: Iterable[Silence], alert: Alert, *, now: float) -> str | None:
    """The id of the first silence muting ``alert`` at ``now``, or None."""
    return next((s.id for s in silences if s.matches(alert, now=now)), None)
