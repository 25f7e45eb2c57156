"""Every topic the agents read or write. Values travel as raw JSON bytes: decoding (and sending the
unreadable to the dead-letter topic) is one explicit step in each agent, see ``streams.decoding``."""

from __future__ import annotations

import faust

from config.settings import get_settings
from events.topic_names import COMPLAINTS_IN, DEADLETTER, WINDOW_INCREMENTS
from streams.app import app

__all__ = ["complaints_in", "deadletter", "window_increments"]

_settings = get_settings()


def _raw_topic(name: str, *, partitions: int | None = None) -> faust.TopicT:
    return app.topic(
        _settings.topic(name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions or _settings.topic_partitions,
        # Declared by the worker with our partition count; a broker's auto-create would pick its own
        # default, and the window table's changelog must match its source topic.
        internal=True,
    )


#: Complaints as ingested, keyed by event id (``ComplaintEvent``).
complaints_in = _raw_topic(COMPLAINTS_IN)
#: Per-batch counts repartitioned by ``rule_id|group`` (``WindowIncrement``).
window_increments = _raw_topic(WINDOW_INCREMENTS)
#: Records no agent could read (``DeadLetter``).
deadletter = _raw_topic(DEADLETTER)
