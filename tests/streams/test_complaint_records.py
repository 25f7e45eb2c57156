"""The record format of ``complaints.in``: plain complaints and batch records, as consumers read them."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from events.complaint_records import complaint_position, decode_complaint_record, encode_complaint_records
from events.records import MAX_COMPLAINTS_PER_RECORD, ComplaintEvent


def _events(n: int, text: str = "my card was charged twice") -> list[ComplaintEvent]:
    return [
        ComplaintEvent(event_id=f"e{i}", text=text, channel="web", received_at=1_700_000_000.0 + i)
        for i in range(n)
    ]


def test_one_complaint_is_a_plain_record_keyed_by_its_id() -> None:
    [(key, value)] = encode_complaint_records(_events(1))
    assert key == b"e0"
    assert json.loads(value)["event_id"] == "e0"  # what any other Kafka consumer expects
    assert decode_complaint_record(value) == tuple(_events(1))


def test_many_complaints_round_trip_in_order_through_batch_records() -> None:
    events = _events(2500, text="lost card")
    records = encode_complaint_records(events, max_bytes=10**7)
    assert len(records) == 3  # at most MAX_COMPLAINTS_PER_RECORD each
    assert all(len(decode_complaint_record(v)) <= MAX_COMPLAINTS_PER_RECORD for _, v in records)
    assert [k for k, _ in records] == [b"e0", b"e1000", b"e2000"]
    assert [c for _, v in records for c in decode_complaint_record(v)] == events


def test_batch_records_stay_under_the_byte_bound() -> None:
    events = _events(40, text="x" * 2000)
    records = encode_complaint_records(events, max_bytes=10_000)
    assert all(len(v) <= 10_000 + 100 for _, v in records)
    assert len(records) == 10  # 4 complaints of ~2.1 kB each per record
    assert [c for _, v in records for c in decode_complaint_record(v)] == events


def test_decoding_takes_other_producers_spacing_and_str_values() -> None:
    spaced = b'  { "complaints" : [' + _events(1)[0].model_dump_json().encode() + b"] }"
    assert decode_complaint_record(spaced)[0].event_id == "e0"
    assert decode_complaint_record(_events(1)[0].model_dump_json())[0].event_id == "e0"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"complaints": []}',  # an empty batch
        b'{"complaints": [{"event_id": "x"}]}',  # a batch with an invalid complaint: the whole record
        b'{"event_id": "x", "text": "t"}',  # a complaint missing fields
        b"not json",
        b'{"complaints": [' + b"1," * MAX_COMPLAINTS_PER_RECORD + b"1]}",  # too many
    ],
)
def test_unreadable_records_raise_value_errors(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        decode_complaint_record(raw)


def test_positions_grow_along_the_partition_and_never_collide() -> None:
    positions = [
        complaint_position(offset, i) for offset in range(3) for i in range(MAX_COMPLAINTS_PER_RECORD)
    ]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert complaint_position(5, 0) > 5  # above any plain offset counted before batch records existed
