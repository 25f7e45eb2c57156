"""The alert: what a rule emits, what the Redis stream stores and what ``/ws/alerts`` sends.

Processing is at-least-once, so one crossing can be evaluated twice (redelivery, rebalance). The
alert id is therefore a hash of the dedup key, not a random id: the same crossing always yields
the same id, and the alert stream publishes each id once.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal, Protocol, TypedDict, get_args

from pydantic import BaseModel, ConfigDict, Field

from alerts.rule_base import Audience, Severity

__all__ = [
    "ALERT_EVENT_TYPES",
    "Alert",
    "AlertEventType",
    "AlertHeader",
    "AlertStatus",
    "FiringRule",
    "alert_header",
    "alert_id_for",
    "dedup_key",
]

_ALERT_ID_BYTES = 8  # 16 hex characters: collisions are negligible at millions of alerts.


def dedup_key(rule_id: str, group: str, window_start: int) -> str:
    """The key that makes one crossing unique: ``rule_id|group|window_start``.

    Examples
    --------
    >>> dedup_key("card-arrival-burst", "tag=card_arrival", 1_700_000_040)
    'card-arrival-burst|tag=card_arrival|1700000040'
    """
    return f"{rule_id}|{group}|{window_start}"


def alert_id_for(key: str) -> str:
    """Short, stable id of the alert with dedup key ``key`` (hex of a BLAKE2b digest).

    Examples
    --------
    >>> alert_id_for("r|tag=a|60") == alert_id_for("r|tag=a|60"), len(alert_id_for("r|tag=a|60"))
    (True, 16)
    >>> alert_id_for("r|tag=a|60") == alert_id_for("r|tag=a|120")
    False
    """
    return hashlib.blake2b(key.encode("utf-8"), digest_size=_ALERT_ID_BYTES).hexdigest()


AlertStatus = Literal["open", "acknowledged", "resolved"]
#: What happened to an alert; every stream entry and websocket message names one.
AlertEventType = Literal["fired", "updated", "acknowledged", "resolved", "escalated"]
ALERT_EVENT_TYPES: tuple[str, ...] = get_args(AlertEventType)


class Alert(BaseModel):
    """One alert: what fired (rule, reason, subject) and where it stands (status, repeats, who acted).

    Times are epoch seconds. ``window_start``/``window_end`` (end exclusive) bound the event time the
    alert is about: a threshold window, a surge bucket, a deadline's due time, a complaint's arrival.
    ``series`` names what repeats of the alert share (rule and group): a repeat while the alert is
    not resolved updates ``occurrences`` instead of making a new alert (see :mod:`alerts.lifecycle`).
    Kind-specific fields are None when they do not apply. Build threshold alerts with
    :func:`alerts.threshold.build_threshold_alert`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str = Field(description="Hash of dedup_key: a re-evaluated crossing keeps its id.")
    dedup_key: str = Field(description="What makes one occurrence unique, e.g. rule_id|group|window_start")
    series: str = Field("", description="What repeats share (rule_id|group); empty: never merged.")
    rule_id: str
    kind: str = Field(description="Kind of the rule that fired, e.g. 'threshold', 'surge', 'deadline'.")
    severity: Severity
    title: str
    reason: str = Field(description="Why it fired, as a sentence for people.")
    dimension: str = ""
    tag: str = ""
    group: dict[str, str | None] = Field(default_factory=dict, description="Group-by field -> value.")
    window_start: int
    window_end: int
    last_window_start: int | None = Field(None, description="Window of the latest repeat (cooldown).")
    count: int = Field(0, ge=0, description="What was counted (complaints in the window, utterances...).")
    threshold: int | None = Field(None, ge=1)
    expected: float | None = Field(None, description="Surge/silence: the volume the detector expected.")
    observed: float | None = Field(None, description="Surge/silence: the volume observed.")
    complaint_id: str | None = None
    call_id: str | None = None
    deadline: str | None = Field(None, description="Deadline kind: first_response, resolution, decision.")
    due_at: float | None = None
    regulator: bool = Field(False, description="Regulator-related: the regulator desk sees it.")
    fired_at: float
    audiences: tuple[Audience, ...]
    status: AlertStatus = "open"
    occurrences: int = Field(1, ge=1, description="How many times it fired; repeats add one.")
    updated_at: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None
    resolved_by: str | None = None
    resolved_at: float | None = None
    resolution: str | None = Field(None, description="Note left when resolving.")
    escalated_at: float | None = None
    silenced_by: str | None = Field(
        None, description="The silence that muted this event: recorded, not pushed (alerts.silences)."
    )

    def to_ws_payload(self) -> dict[str, Any]:
        """The alert as a JSON-ready dict (the websocket and the Redis stream carry this).

        The stream entry id (the resume cursor) is not part of the alert: the reader adds it.
        """
        return self.model_dump(mode="json")


class FiringRule(Protocol):
    """What an alert takes from the rule that fired it (every kind of rule has these)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def audiences(self) -> tuple[Audience, ...]: ...


class AlertHeader(TypedDict):
    """The fields every alert starts with: its ids and the rule that fired it."""

    alert_id: str
    dedup_key: str
    series: str
    rule_id: str
    kind: str
    severity: Severity
    title: str
    fired_at: float
    audiences: tuple[Audience, ...]


def alert_header(
    rule: FiringRule,
    *,
    group: str,
    occurrence: int,
    fired_at: float,
    merge_repeats: bool = True,
    severity: Severity | None = None,
) -> AlertHeader:
    """The ids and rule fields of the alert ``rule`` fires for ``group`` (``Alert(**header, ...)``).

    The dedup key is ``rule.id|group|occurrence`` (a window start, an utterance index...); with
    ``merge_repeats`` the alert's series is ``rule.id|group``, else it has none and is never merged.
    ``severity`` overrides the rule's.

    Examples
    --------
    >>> from alerts.rules import ThresholdRule
    >>> rule = ThresholdRule(id="r", kind="threshold", title="t", severity="info", dimension="d",
    ...                      tag="a", window_seconds=60, threshold=3)
    >>> header = alert_header(rule, group="tag=a", occurrence=60, fired_at=61.0)
    >>> header["dedup_key"], header["series"], header["kind"]
    ('r|tag=a|60', 'r|tag=a', 'threshold')
    """
    key = dedup_key(rule.id, group, occurrence)
    return AlertHeader(
        alert_id=alert_id_for(key),
        dedup_key=key,
        series=f"{rule.id}|{group}" if merge_repeats else "",
        rule_id=rule.id,
        kind=rule.kind,
        severity=rule.severity if severity is None else severity,
        title=rule.title,
        fired_at=fired_at,
        audiences=rule.audiences,
    )
