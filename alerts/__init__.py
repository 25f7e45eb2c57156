"""Alert rules and their evaluation: a pure library (no Kafka, Redis, HTTP or settings).

Rules come from YAML (:func:`load_rules`), complaints are counted per rule, group and window
(:func:`count_batch`), a window fires once when its count crosses the threshold
(:func:`evaluate_crossing`), and the resulting :class:`Alert` has a deterministic id for dedup.
"""

from alerts.alert import ALERT_EVENT_TYPES, Alert, AlertEventType, AlertStatus, alert_id_for, dedup_key
from alerts.complaint import TaggedComplaint
from alerts.cooldown import cooldown_allows
from alerts.deadlines import (
    CLOCKS,
    DAY_S,
    STOPPED_BY,
    ClockState,
    DeadlineRule,
    DeadlineSignal,
    Ticket,
    TicketStep,
    build_deadline_alert,
    clock_state,
    deadline_signals,
    next_check_at,
    scale_limit,
)
from alerts.decayed_quantile import DecayedQuantile
from alerts.durations import Duration, format_duration
from alerts.groups import decode_group, encode_group
from alerts.lifecycle import (
    TransitionError,
    acknowledge,
    escalate,
    escalation_due_at,
    merge_repeat,
    resolve,
)
from alerts.live_call_rules import (
    AgentPhraseRule,
    LiveCallRule,
    RiskyUtterance,
    build_agent_phrase_alert,
    build_live_call_alert,
)
from alerts.regulator_rules import RegulatorRule, build_regulator_alert
from alerts.routing import AlertViewer, audiences_of
from alerts.rule_base import (
    ANY_TAG,
    AUDIENCES,
    GROUP_FIELDS,
    SEVERITIES,
    SEVERITY_RANK,
    Audience,
    GroupField,
    RuleFilters,
    Severity,
)
from alerts.rules import Rule, RuleSet, ThresholdRule
from alerts.rules_file import RuleValidationError, load_rules, parse_rules
from alerts.seasonal_baseline import SeasonalBaseline
from alerts.silence_detector import SilenceDetector, SilenceSignal
from alerts.silences import MAX_SILENCE_S, Silence, SilenceMatchers, silenced_by
from alerts.surge_detector import SurgeDetector, SurgeSignal
from alerts.surge_evaluation import SurgeEvaluation, alert_times, evaluate_surges
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
from alerts.volume_rules import SilenceRule, SurgeRule, build_silence_alert, build_surge_alert
from alerts.webhooks import (
    WEBHOOK_FORMATS,
    WEBHOOK_LANGUAGES,
    Webhook,
    WebhookLanguage,
    backoff_delays,
    dingtalk_signed_url,
    render_webhook,
    robot_accepted,
)
from alerts.windows import sliding_window_starts, tumbling_window_start, window_end

__all__ = [
    "ALERT_EVENT_TYPES",
    "ANY_TAG",
    "AUDIENCES",
    "CLOCKS",
    "DAY_S",
    "GROUP_FIELDS",
    "MAX_SILENCE_S",
    "SEVERITIES",
    "SEVERITY_RANK",
    "STOPPED_BY",
    "WEBHOOK_FORMATS",
    "WEBHOOK_LANGUAGES",
    "AgentPhraseRule",
    "Alert",
    "AlertEventType",
    "AlertStatus",
    "AlertViewer",
    "Audience",
    "BatchCount",
    "ClockState",
    "DeadlineRule",
    "DeadlineSignal",
    "DecayedQuantile",
    "Duration",
    "GroupField",
    "LiveCallRule",
    "RegulatorRule",
    "RiskyUtterance",
    "Rule",
    "RuleFilters",
    "RuleSet",
    "RuleValidationError",
    "SeasonalBaseline",
    "Severity",
    "Silence",
    "SilenceDetector",
    "SilenceMatchers",
    "SilenceRule",
    "SilenceSignal",
    "SurgeDetector",
    "SurgeEvaluation",
    "SurgeRule",
    "SurgeSignal",
    "TaggedComplaint",
    "ThresholdRule",
    "Ticket",
    "TicketStep",
    "TransitionError",
    "Webhook",
    "WebhookLanguage",
    "WindowKey",
    "acknowledge",
    "alert_id_for",
    "alert_times",
    "audiences_of",
    "backoff_delays",
    "build_agent_phrase_alert",
    "build_deadline_alert",
    "build_live_call_alert",
    "build_regulator_alert",
    "build_silence_alert",
    "build_surge_alert",
    "build_threshold_alert",
    "clock_state",
    "cooldown_allows",
    "count_batch",
    "crossed",
    "deadline_signals",
    "decode_group",
    "dedup_key",
    "dingtalk_signed_url",
    "encode_group",
    "escalate",
    "escalation_due_at",
    "evaluate_crossing",
    "evaluate_surges",
    "format_duration",
    "load_rules",
    "match_group",
    "merge_repeat",
    "next_check_at",
    "parse_rules",
    "render_webhook",
    "resolve",
    "robot_accepted",
    "scale_limit",
    "silenced_by",
    "sliding_window_starts",
    "tumbling_window_start",
    "window_end",
    "window_starts",
]
