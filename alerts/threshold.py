"""Threshold rules: which complaints a rule counts, per-batch counting, and the alert for a crossing.

The stream job runs in two steps, and this module gives each step its pure part:

1. the classify agent calls :func:`count_batch` on a micro-batch and sends one increment per
   ``(rule_id, group, window_start)``, so the window table is written once per key and batch;
2. the window agent adds the increment to the table and calls :func:`evaluate_crossing` with the
   count before and after; it yields an alert exactly once per window, when the count reaches the
   threshold, whatever the batch sizes were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from alerts.alert import Alert, alert_header
from alerts.complaint import TaggedComplaint
from alerts.groups import decode_group, encode_group
from alerts.rules import Rule, ThresholdRule
from alerts.windows import sliding_window_starts, tumbling_window_start, window_end

__all__ = [
    "BatchCount",
    "WindowKey",
    "build_threshold_alert",
    "count_batch",
    "crossed",
    "evaluate_crossing",
    "match_group",
    "window_starts",
]


class WindowKey(NamedTuple):
    """One counted series in one window."""

    rule_id: str
    group: str
    window_start: int


@dataclass(frozen=True)
class BatchCount:
    """How many complaints of a batch fell in a window, and the latest one's event time.

    A dataclass, not a NamedTuple: a ``count`` field would shadow ``tuple.count``.
    """

    count: int
    last_event_at: float
    #: The counted complaints, in batch order: lets the counter drop ones it already counted.
    event_ids: tuple[str, ...] = ()


def match_group(rule: ThresholdRule, complaint: TaggedComplaint) -> str | None:
    """The group key ``complaint`` is counted under by ``rule``, or None if the rule ignores it.

    Only matching is checked here, not ``rule.enabled`` (so a disabled rule can be previewed).

    Examples
    --------
    >>> from alerts.rules import ThresholdRule
    >>> rule = ThresholdRule(
    ...     id="r", kind="threshold", title="t", severity="info", dimension="banking77", tag="*",
    ...     group_by=["branch"], filters={"channel": ["phone", "app"]}, window_seconds=60, threshold=5,
    ... )
    >>> match_group(rule, TaggedComplaint("e1", {"banking77": "lost_card"}, "phone", branch="B 1"))
    'tag=lost_card&branch=B%201'
    >>> match_group(rule, TaggedComplaint("e2", {"banking77": "lost_card"}, "web", branch="B 1")) is None
    True
    """
    tag = complaint.tags.get(rule.dimension)
    if tag is None or not rule.matches_tag(tag):
        return None
    filters = rule.filters
    if filters is not None:
        if filters.channel is not None and complaint.channel not in filters.channel:
            return None
        if filters.branch is not None and complaint.branch not in filters.branch:
            return None
        if filters.line is not None and complaint.line not in filters.line:
            return None
        if (
            filters.regulator_forwarded is not None
            and complaint.regulator_forwarded != filters.regulator_forwarded
        ):
            return None
    return encode_group(tag, [(name, complaint.field_value(name)) for name in rule.group_by])


def window_starts(rule: ThresholdRule, ts: float) -> tuple[int, ...]:
    """Starts of the windows of ``rule`` that an event at ``ts`` counts in.

    One window for ``tumbling``; every overlapping window for ``sliding``.

    Examples
    --------
    >>> from alerts.rules import ThresholdRule
    >>> rule = ThresholdRule(id="r", kind="threshold", title="t", severity="info", dimension="d",
    ...                      tag="a", window_seconds=300, threshold=1)
    >>> window_starts(rule, 1_700_000_123.4)
    (1700000100,)
    >>> sliding = rule.model_copy(update={"window": "sliding", "hop_seconds": 100})
    >>> window_starts(sliding, 1_700_000_123.4)
    (1699999900, 1700000000, 1700000100)
    """
    if rule.window == "sliding" and rule.hop_seconds is not None:
        return sliding_window_starts(ts, rule.window_seconds, rule.hop_seconds)
    return (tumbling_window_start(ts, rule.window_seconds),)


def count_batch(rules: Iterable[Rule], complaints: Iterable[TaggedComplaint]) -> dict[WindowKey, BatchCount]:
    """Count a micro-batch per ``(rule_id, group, window_start)`` for every enabled threshold rule.

    Examples
    --------
    >>> from alerts.rules_file import parse_rules
    >>> rules = parse_rules('''
    ... rules:
    ...   - {id: any, kind: threshold, title: t, severity: info, dimension: d, tag: "*",
    ...      window_seconds: 60, threshold: 3}
    ... ''').rules
    >>> batch = [TaggedComplaint(f"e{i}", {"d": tag}, "web", event_time=t)
    ...          for i, (tag, t) in enumerate([("a", 1.0), ("a", 59.0), ("b", 30.0), ("a", 60.0)])]
    >>> for key, value in sorted(count_batch(rules, batch).items()):
    ...     (key.group, key.window_start, value.count, value.last_event_at)
    ('tag=a', 0, 2, 59.0)
    ('tag=a', 60, 1, 60.0)
    ('tag=b', 0, 1, 30.0)
    """
    active = [rule for rule in rules if isinstance(rule, ThresholdRule) and rule.enabled]
    # Lists while counting (a tuple rebuilt per complaint made a 500-complaint batch quadratic).
    latest: dict[WindowKey, float] = {}
    ids: dict[WindowKey, list[str]] = {}
    for complaint in complaints if active else ():
        for rule in active:
            group = match_group(rule, complaint)
            if group is None:
                continue
            for start in window_starts(rule, complaint.event_time):
                key = WindowKey(rule.id, group, start)
                if key in ids:
                    ids[key].append(complaint.event_id)
                    latest[key] = max(latest[key], complaint.event_time)
                else:
                    ids[key] = [complaint.event_id]
                    latest[key] = complaint.event_time
    return {key: BatchCount(len(counted), latest[key], tuple(counted)) for key, counted in ids.items()}


def crossed(before: int, after: int, threshold: int) -> bool:
    """Whether a count going from ``before`` to ``after`` reaches ``threshold`` just now.

    True for exactly one increment per window however the counts are batched, so a window fires
    once: before it the count was below the threshold, after it never is again.

    Examples
    --------
    >>> crossed(0, 20, 20), crossed(19, 20, 20), crossed(10, 35, 20)
    (True, True, True)
    >>> crossed(20, 21, 20), crossed(0, 19, 20), crossed(25, 30, 20)
    (False, False, False)
    """
    return before < threshold <= after


def build_threshold_alert(
    rule: ThresholdRule, *, group: str, window_start: int, count: int, fired_at: float
) -> Alert:
    """The alert for ``rule`` having counted ``count`` complaints in one window of ``group``.

    Examples
    --------
    >>> from alerts.rules import ThresholdRule
    >>> rule = ThresholdRule(id="card-surge", kind="threshold", title="Card surge", severity="warning",
    ...                      dimension="banking77", tag="card_arrival", group_by=["branch"],
    ...                      window_seconds=300, threshold=40)
    >>> alert = build_threshold_alert(rule, group="tag=card_arrival&branch=X", window_start=600,
    ...                               count=42, fired_at=700.0)
    >>> alert.reason
    '42 complaints tagged card_arrival in 5 min (threshold 40) at branch X'
    >>> alert.dedup_key, alert.window_end, alert.group
    ('card-surge|tag=card_arrival&branch=X|600', 900, {'branch': 'X'})
    """
    tag, fields = decode_group(group)
    return Alert(
        **alert_header(rule, group=group, occurrence=window_start, fired_at=fired_at),
        reason=_reason(count, tag, rule.window_seconds, rule.threshold, fields),
        dimension=rule.dimension,
        tag=tag,
        group=fields,
        window_start=window_start,
        window_end=window_end(window_start, rule.window_seconds),
        count=count,
        threshold=rule.threshold,
        regulator=rule.filters is not None and rule.filters.regulator_forwarded is True,
    )


def evaluate_crossing(
    rule: ThresholdRule, *, group: str, window_start: int, before: int, after: int, fired_at: float
) -> Alert | None:
    """The alert if the window count going from ``before`` to ``after`` crosses the rule's threshold.

    Examples
    --------
    >>> from alerts.rules import ThresholdRule
    >>> rule = ThresholdRule(id="r", kind="threshold", title="t", severity="info", dimension="d",
    ...                      tag="a", window_seconds=60, threshold=3)
    >>> evaluate_crossing(rule, group="tag=a", window_start=0, before=1, after=2, fired_at=1.0) is None
    True
    >>> evaluate_crossing(rule, group="tag=a", window_start=0, before=2, after=4, fired_at=1.0).count
    4
    """
    if not crossed(before, after, rule.threshold):
        return None
    return build_threshold_alert(rule, group=group, window_start=window_start, count=after, fired_at=fired_at)


def _reason(
    count: int, tag: str, window_seconds: int, threshold: int, fields: Mapping[str, str | None]
) -> str:
    noun = "complaint" if count == 1 else "complaints"
    sentence = f"{count} {noun} tagged {tag} in {_duration(window_seconds)} (threshold {threshold})"
    if fields:
        where = ", ".join(f"{name} {'(none)' if value is None else value}" for name, value in fields.items())
        sentence += f" at {where}"
    return sentence


def _duration(seconds: int) -> str:
    """Human window length: ``60 -> '1 min'``, ``7200 -> '2 h'``, ``90 -> '90 s'``."""
    for unit, name in ((86_400, "day"), (3_600, "h"), (60, "min")):
        if seconds % unit == 0:
            amount = seconds // unit
            return f"{amount} {name}{'s' if name == 'day' and amount > 1 else ''}"
    return f"{seconds} s"
