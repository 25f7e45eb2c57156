"""How complaints travel on ``complaints.in``: one complaint per record, or a batch per record.

Producers may write either; the API writes a request's complaints as batch records
(:class:`~events.records.ComplaintBatch`, split to stay under a byte bound), and every consumer
reads both through :func:`decode_complaint_record`. A complaint's place in the topic is its
*position* (record offset and index in the record), which grows along a partition as offsets do.

Examples
--------
>>> from events.records import ComplaintEvent
>>> events = [ComplaintEvent(event_id=f"c{i}", text="card lost", channel="web", received_at=1.0)
...           for i in range(3)]
>>> [(key, len(decode_complaint_record(value))) for key, value in encode_complaint_records(events)]
[(b'c0', 3)]
>>> decode_complaint_record(events[0].model_dump_json().encode())[0].event_id
'c0'
>>> complaint_position(7, 2) > complaint_position(6, 999)
True
"""

from __future__ import annotations

from collections.abc import Sequence

from events.records import MAX_COMPLAINTS_PER_RECORD, ComplaintBatch, ComplaintEvent, is_batch_record

__all__ = ["complaint_position", "decode_complaint_record", "encode_complaint_records"]

#: Records stay well under Kafka's default largest request (1 MiB) and the API producer's batch.
MAX_RECORD_BYTES = 192 * 1024
_POSITION_BITS = 16


def complaint_position(offset: int, index: int) -> int:
    """A complaint's position: increasing along the partition, unique per complaint."""
    return (offset << _POSITION_BITS) | index


def encode_complaint_records(
    events: Sequence[ComplaintEvent], *, max_bytes: int = MAX_RECORD_BYTES
) -> list[tuple[bytes, bytes]]:
    """``(key, value)`` records for ``events``: one plain record for one complaint, else batches.

    A batch is keyed by its first complaint's id; complaints need no per-key order (placement is
    sticky per produce interval and every consumer dedups by id).
    """
    if len(events) == 1:
        return [(events[0].event_id.encode(), events[0].model_dump_json().encode())]
    records: list[tuple[bytes, bytes]] = []
    chunk: list[bytes] = []
    first = ""
    size = 0
    for event in events:
        value = event.model_dump_json().encode()
        if chunk and (size + len(value) > max_bytes or len(chunk) == MAX_COMPLAINTS_PER_RECORD):
            records.append((first.encode(), _batch(chunk)))
            chunk, size = [], 0
        if not chunk:
            first = event.event_id
        chunk.append(value)
        size += len(value) + 1
    records.append((first.encode(), _batch(chunk)))
    return records


def _batch(values: list[bytes]) -> bytes:
    return b'{"complaints":[' + b",".join(values) + b"]}"


def decode_complaint_record(raw: bytes | str) -> tuple[ComplaintEvent, ...]:
    """The complaints of one record; raises ``ValueError`` (pydantic's ``ValidationError``
    included) when it is neither a complaint nor a batch of them."""
    if isinstance(raw, str):
        raw = raw.encode()
    if is_batch_record(raw, "complaints"):
        return ComplaintBatch.model_validate_json(raw).complaints
    return (ComplaintEvent.model_validate_json(raw),)
