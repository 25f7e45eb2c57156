"""Faust agents; importing this package registers them with the app."""

from streams.agents.alert_timers import archive_alert_events, escalate_unacknowledged_alerts
from streams.agents.classify import classify_complaints
from streams.agents.complaint_alerts import alert_on_complaints
from streams.agents.deadlines import check_deadlines, track_ticket_events
from streams.agents.escalations import alert_on_call_utterances
from streams.agents.learn_labels import (
    apply_taxonomy_edits,
    follow_model_updates,
    learn_labels,
    publish_learned_model,
)
from streams.agents.surges import detect_volume_anomalies, tick_volume_series
from streams.agents.transcribe import transcribe_calls, transcribe_recordings
from streams.agents.transcribe_storage import store_calls, store_utterances
from streams.agents.webhooks import keep_webhooks_running
from streams.agents.windows import count_windows

__all__ = [
    "alert_on_call_utterances",
    "alert_on_complaints",
    "apply_taxonomy_edits",
    "archive_alert_events",
    "check_deadlines",
    "classify_complaints",
    "count_windows",
    "detect_volume_anomalies",
    "escalate_unacknowledged_alerts",
    "follow_model_updates",
    "keep_webhooks_running",
    "learn_labels",
    "publish_learned_model",
    "store_calls",
    "store_utterances",
    "tick_volume_series",
    "track_ticket_events",
    "transcribe_calls",
    "transcribe_recordings",
]
