"""Every topic's name, before the deployment's prefix (``Settings.topic(name)``).

One place, so a producer in ``api/`` and the agent in ``streams/`` cannot drift apart.

>>> COMPLAINTS_IN, CALLS_AUDIO
('complaints.in', 'calls.audio')
"""

from __future__ import annotations

__all__ = [
    "ALERTS_VOLUME",
    "CALLS_AUDIO",
    "CALLS_ENDED",
    "CALLS_RECORDED",
    "CALLS_UTTERANCES",
    "COMPLAINTS_IN",
    "DEADLETTER",
    "LABELS",
    "TICKETS",
    "WINDOW_INCREMENTS",
]

#: Complaints as ingested, keyed by event id (``ComplaintEvent``, or a ``ComplaintBatch``).
COMPLAINTS_IN = "complaints.in"
#: Per-batch counts repartitioned by ``rule_id|group`` (``WindowIncrementBatch``).
WINDOW_INCREMENTS = "window.increments"
#: Records no agent could read (``DeadLetter``).
DEADLETTER = "deadletter"
#: Live websocket frames (``CallAudio``): the latency-critical path.
CALLS_AUDIO = "calls.audio"
#: Uploaded recordings (``CallAudio``), apart from live calls so a long file never delays them.
CALLS_RECORDED = "calls.recorded"
#: Final utterances scored for escalation risk (``UtteranceEvent``).
CALLS_UTTERANCES = "calls.utterances"
#: One summary per ended call with its transcript (``CallEnded``).
CALLS_ENDED = "calls.ended"
#: Closed buckets of the surge and silence rules' series (``VolumeTick``), keyed ``rule_id|value``.
ALERTS_VOLUME = "alerts.volume"
#: Ticket events (``TicketEvent``), keyed by complaint id like ``complaints.in``.
TICKETS = "tickets"
#: Reviewers' labels (``LabelEvent``), keyed by complaint id; one partition (one learner).
LABELS = "labels"
