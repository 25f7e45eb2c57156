"""Event schemas of every topic.

Pydantic models rather than ``faust.Record`` so that a poison record (bad JSON, wrong schema) is
caught by one strict validation step and sent to the dead-letter topic with the reason, and so that
the API can produce the same schema without importing Faust.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CHANNELS",
    "MAX_COMPLAINTS_PER_RECORD",
    "Channel",
    "ClassifiedComplaint",
    "ComplaintBatch",
    "ComplaintEvent",
    "DeadLetter",
    "TagPrediction",
    "WindowIncrement",
    "WindowIncrementBatch",
    "is_batch_record",
]

Channel = Literal["phone", "voice", "web", "app", "wechat", "email", "branch", "regulator", "other"]
CHANNELS: tuple[str, ...] = get_args(Channel)


def is_batch_record(raw: bytes, field: str) -> bool:
    """Whether ``raw`` opens like a batch record ``{"<field>": [...]}``: one cheap look at the first
    bytes decides which schema validates it (batch and single records share a topic).

    Examples
    --------
    >>> is_batch_record(b' { "complaints" : [', "complaints"), is_batch_record(b'{"event_id":', "complaints")
    (True, False)
    """
    pattern = _BATCH_STARTS.get(field)
    if pattern is None:
        pattern = _BATCH_STARTS[field] = re.compile(rb'\s*\{\s*"' + re.escape(field.encode()) + rb'"\s*:')
    return pattern.match(raw) is not None


_BATCH_STARTS: dict[str, re.Pattern[bytes]] = {}


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComplaintEvent(_Event):
    """A complaint as ingested, on ``complaints.in`` keyed by ``event_id``."""

    event_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    channel: Channel
    branch: str | None = Field(None, max_length=64)
    line: str | None = Field(None, max_length=64, description="Hotline line or queue.")
    product_hint: str | None = Field(None, max_length=128)
    customer_ref_hash: str | None = Field(None, max_length=64, description="Keyed hash, never the raw ref.")
    regulator_forwarded: bool = False
    regulator_ref: str | None = Field(None, max_length=128)
    received_at: float = Field(gt=0, description="Epoch seconds when the API accepted it.")


#: A batch record holds at most this many complaints (positions give each 16 bits of its own).
MAX_COMPLAINTS_PER_RECORD = 1000


class ComplaintBatch(_Event):
    """Several complaints in one record on ``complaints.in`` (its first key is ``complaints``).

    The API produces each request's complaints as one record: every consumer then pays the
    broker's and Faust's per-record cost once per request instead of once per complaint.
    """

    complaints: tuple[ComplaintEvent, ...] = Field(min_length=1, max_length=MAX_COMPLAINTS_PER_RECORD)


class TagPrediction(_Event):
    """One dimension's tag for one complaint."""

    dimension: str
    tag: str
    confidence: float = Field(ge=0.0, le=1.0)
    source: Literal["rules", "model"]
    model_version: str


class ClassifiedComplaint(_Event):
    """A complaint with its tags, as stored in ClickHouse."""

    complaint: ComplaintEvent
    tags: tuple[TagPrediction, ...]
    classified_at: float


class WindowIncrement(_Event):
    """Pre-aggregated count for one rule group and window, keyed by ``rule_id|group``.

    The classify agent counts a whole micro-batch per key before sending, so the table that holds
    the windows is written once per key and batch rather than once per complaint. ``offsets`` are
    the counted complaints' positions in ``source_partition`` of ``complaints.in`` (record offset
    and index within the record, :func:`events.complaint_records.complaint_position`): they only
    grow per key, so the counter can tell (and skip) complaints a restarted worker delivers again.
    """

    rule_id: str
    group: str
    window_start: int
    source_partition: int = Field(ge=0)
    offsets: tuple[int, ...] = Field(min_length=1)
    last_event_at: float

    @property
    def count(self) -> int:
        return len(self.offsets)


class WindowIncrementBatch(_Event):
    """Every increment of one micro-batch whose key lives in one partition of ``window.increments``.

    Sent to that partition explicitly (the partition Kafka's default partitioner gives each key),
    so a key's window state stays in one table partition while the topic carries one record per
    partition and batch instead of one per key (a batch touches dozens of keys).
    """

    increments: tuple[WindowIncrement, ...] = Field(min_length=1)


class DeadLetter(_Event):
    """A record no agent could read, with the reason, on ``deadletter``."""

    source_topic: str
    partition: int
    offset: int
    reason: str
    payload: str = Field(description="The raw value, decoded with replacement, truncated.")
    at: float
