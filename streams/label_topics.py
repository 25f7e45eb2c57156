"""The ``labels`` topic, with ONE partition whatever ``HOTLINE_TOPIC_PARTITIONS`` says: only one
worker of the group is then assigned it, so exactly one learner updates the model."""

from __future__ import annotations

from config.settings import get_settings
from events.topic_names import LABELS
from streams.app import app

__all__ = ["LABELS_PARTITIONS", "labels"]

LABELS_PARTITIONS = 1

#: Reviewers' labels (``LabelEvent``), keyed by complaint id.
labels = app.topic(
    get_settings().topic(LABELS),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=LABELS_PARTITIONS,
    internal=True,  # declared by the worker with one partition
)
