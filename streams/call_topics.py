"""Topics of live call transcription (issue 4), all keyed by call id so a call stays in order.

Raw JSON bytes like ``streams.topics``: each agent decodes with ``streams.decoding`` and sends what
it cannot read to the dead-letter topic.
"""

from __future__ import annotations

import faust

from config.settings import get_settings
from events.topic_names import CALLS_AUDIO, CALLS_ENDED, CALLS_RECORDED, CALLS_UTTERANCES
from streams.app import app

__all__ = ["calls_audio", "calls_ended", "calls_recorded", "calls_utterances"]

_settings = get_settings()


def _raw_topic(name: str) -> faust.TopicT:
    return app.topic(
        _settings.topic(name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=_settings.topic_partitions,
        internal=True,  # declared by the worker with our partition count
    )


#: Live websocket frames (``CallAudio``): the latency-critical path.
calls_audio = _raw_topic(CALLS_AUDIO)
#: Uploaded recordings (``CallAudio``), apart from live calls so a long file never delays them.
calls_recorded = _raw_topic(CALLS_RECORDED)
#: Final utterances scored for escalation risk (``UtteranceEvent``), as they are recognized.
calls_utterances = _raw_topic(CALLS_UTTERANCES)
#: One summary per ended call with its transcript (``CallEnded``).
calls_ended = _raw_topic(CALLS_ENDED)
