"""Every topic the agents read or write, declared by one function for one app.

Values travel as raw JSON bytes: decoding (and sending the unreadable to the dead-letter topic) is
one explicit step in each agent, see ``streams.decoding``. Every topic is declared by the worker
with our partition count (``internal=True``): a broker's auto-create would pick its own default,
and the window table's changelog must match its source topic. ``labels`` alone has ONE partition
whatever ``HOTLINE_TOPIC_PARTITIONS`` says: only one worker of the group is then assigned it, so
exactly one learner updates the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from config.settings import Settings
from events.topic_names import (
    ALERTS_VOLUME,
    CALLS_AUDIO,
    CALLS_ENDED,
    CALLS_RECORDED,
    CALLS_UTTERANCES,
    COMPLAINTS_IN,
    DEADLETTER,
    LABELS,
    TICKETS,
    WINDOW_INCREMENTS,
)

__all__ = ["LABELS_PARTITIONS", "Topics", "declare_topics"]

LABELS_PARTITIONS = 1


@dataclass(frozen=True, slots=True)
class Topics:
    """The worker's topics (names in :mod:`events.topic_names`, record schemas in ``events``)."""

    #: Complaints as ingested, keyed by event id (``ComplaintEvent``).
    complaints_in: faust.TopicT
    #: Per-batch counts repartitioned by ``rule_id|group`` (``WindowIncrement``).
    window_increments: faust.TopicT
    #: Records no agent could read (``DeadLetter``).
    deadletter: faust.TopicT
    #: Live websocket frames (``CallAudio``), keyed by call id: the latency-critical path.
    calls_audio: faust.TopicT
    #: Uploaded recordings (``CallAudio``), apart from live calls so a long file never delays them.
    calls_recorded: faust.TopicT
    #: Final utterances scored for escalation risk (``UtteranceEvent``), as they are recognized.
    calls_utterances: faust.TopicT
    #: One summary per ended call with its transcript (``CallEnded``).
    calls_ended: faust.TopicT
    #: Closed buckets of the surge and silence rules' series (``VolumeTick``), keyed ``rule_id|value``.
    volume_ticks: faust.TopicT
    #: Ticket events (``TicketEvent``), keyed by complaint id like ``complaints.in``.
    tickets: faust.TopicT
    #: Reviewers' labels (``LabelEvent``), keyed by complaint id; one partition.
    labels: faust.TopicT


def declare_topics(app: faust.App, settings: Settings) -> Topics:
    """The topics of ``app``, named with ``settings``' prefix.

    >>> from config.settings import Settings
    >>> topics = declare_topics(faust.App("doc", broker="memory://"), Settings(topic_prefix="doc"))
    >>> topics.labels.get_topic_name(), topics.labels.partitions
    ('doc.labels', 1)
    """

    def raw_topic(name: str, partitions: int = settings.topic_partitions) -> faust.TopicT:
        return app.topic(
            settings.topic(name),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            internal=True,
        )

    return Topics(
        complaints_in=raw_topic(COMPLAINTS_IN),
        window_increments=raw_topic(WINDOW_INCREMENTS),
        deadletter=raw_topic(DEADLETTER),
        calls_audio=raw_topic(CALLS_AUDIO),
        calls_recorded=raw_topic(CALLS_RECORDED),
        calls_utterances=raw_topic(CALLS_UTTERANCES),
        calls_ended=raw_topic(CALLS_ENDED),
        volume_ticks=raw_topic(ALERTS_VOLUME),
        tickets=raw_topic(TICKETS),
        labels=raw_topic(LABELS, LABELS_PARTITIONS),
    )
