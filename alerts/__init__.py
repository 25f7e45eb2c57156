"""Alert rules and their evaluation: a pure library (no Kafka, Redis, HTTP or settings).

Rules come from YAML (:func:`load_rules`), complaints are counted per rule, group and window
(:func:`count_batch`), a window fires once when its count crosses the threshold
(:func:`evaluate_crossing`), and the resulting :class:`Alert` has a deterministic id for dedup.
"""

from alerts.alert import Alert, alert_id_for, dedup_key
from alerts.complaint import TaggedComplaint
from alerts.cooldown import cooldown_allows
from alerts.groups import decode_group, encode_group
from alerts.rules import (
    ANY_TAG,
    AUDIENCES,
    GROUP_FIELDS,
    Audience,
    GroupField,
    Rule,
    RuleFilters,
    RuleSet,
    Severity,
    ThresholdRule,
)
from alerts.rules_file import RuleValidationError, load_rules, parse_rules
from alerts.threshold import (
    BatchCount,
    WindowKey,
    build_threshold_alert,
    count_batch,
    crossed,
    evaluate_crossing,
    match_group,
    window_starts,
)
from alerts.windows import tumbling_window_start, window_end

__all__ = [
    "ANY_TAG",
    "AUDIENCES",
    "GROUP_FIELDS",
    "Alert",
    "Audience",
    "BatchCount",
    "GroupField",
    "Rule",
    "RuleFilters",
    "RuleSet",
    "RuleValidationError",
    "Severity",
    "TaggedComplaint",
    "ThresholdRule",
    "WindowKey",
    "alert_id_for",
    "build_threshold_alert",
    "cooldown_allows",
    "count_batch",
    "crossed",
    "decode_group",
    "dedup_key",
    "encode_group",
    "evaluate_crossing",
    "load_rules",
    "match_group",
    "parse_rules",
    "tumbling_window_start",
    "window_end",
    "window_starts",
]
