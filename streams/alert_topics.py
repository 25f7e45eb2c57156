"""Topics of the alert agents (issue 5): volume ticks and ticket events, raw JSON like ``streams.topics``."""

from __future__ import annotations

import faust

from config.settings import get_settings
from events.topic_names import ALERTS_VOLUME, TICKETS
from streams.app import app

__all__ = ["tickets", "volume_ticks"]

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


#: Closed buckets of the surge and silence rules' series (``VolumeTick``), keyed ``rule_id|value``.
volume_ticks = _raw_topic(ALERTS_VOLUME)
#: Ticket events (``TicketEvent``), keyed by complaint id like ``complaints.in``.
tickets = _raw_topic(TICKETS)
