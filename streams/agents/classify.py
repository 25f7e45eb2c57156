"""Classify complaints in micro-batches: tag, score risk, store, and count them for the threshold rules."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faust
from aiokafka.partitioner import murmur2

from alerts import TaggedComplaint, count_batch
from events.complaint_records import complaint_position, decode_complaint_record
from events.records import ComplaintEvent, WindowIncrement, WindowIncrementBatch
from online_models import RiskScorer, TagResult
from storage.clickhouse import NO_MARGIN
from streams.decoding import dead_letter
from streams.worker_context import WorkerContext
from streams.worker_metrics import CLASSIFY_BATCH_SECONDS, CLASSIFY_LATENCY_SECONDS, COMPLAINTS, stage_cpu
from streams.worker_parts import Worker

__all__ = ["install"]

log = logging.getLogger(__name__)


def install(worker: Worker) -> faust.types.AgentT:
    """Add :func:`classify_complaints` (on ``complaints.in``) to the worker's app."""
    settings = worker.settings
    size = settings.classify_batch_size
    deadletter = worker.topics.deadletter
    #: Stateless (phrase patterns only), so one scorer serves every batch.
    risk_scorer = RiskScorer()

    @worker.app.agent(worker.topics.complaints_in)
    async def classify_complaints(stream: faust.StreamT) -> None:
        """Every complaint: decode, tag, store in ClickHouse, count per rule window."""
        await worker.context.ready.wait()
        async for events in stream.noack_take(size, within=settings.classify_batch_s):
            await worker.context.sink.wait_for_room()
            with stage_cpu("decode"):
                placed = [p for event in events for p in await _placed_complaints(event, deadletter)]
            for first in range(0, max(len(placed), 1), size):
                last = first + size >= len(placed)
                # Each record's events ack with the last part of the batch, once its rows are stored.
                await _classify(worker, risk_scorer, placed[first : first + size], events if last else ())
                if not last:
                    await asyncio.sleep(0)  # a batch of batch records: let heartbeats and other agents run

    return classify_complaints


@dataclass(frozen=True, slots=True)
class _Placed:
    """A complaint and where it sits in ``complaints.in``."""

    complaint: ComplaintEvent
    partition: int
    position: int


async def _placed_complaints(event: faust.EventT, deadletter: faust.ChannelT) -> list[_Placed]:
    """The record's complaints (one, or a batch), or none after dead-lettering it."""
    try:
        complaints = decode_complaint_record(event.value)
    except (ValueError, TypeError) as exc:
        await dead_letter(event, exc, as_what="ComplaintEvent", to=deadletter)
        return []
    message = event.message
    return [
        _Placed(c, message.partition, complaint_position(message.offset, i)) for i, c in enumerate(complaints)
    ]


async def _classify(
    worker: Worker, risk_scorer: RiskScorer, placed: Sequence[_Placed], events: Sequence[faust.EventT]
) -> None:
    context = worker.context
    started = time.perf_counter()
    complaints = [p.complaint for p in placed]
    with stage_cpu("tag"):
        tag_lists = _tag(context, complaints)
    with stage_cpu("risk"):
        risks = risk_scorer.score_many([c.text for c in complaints])
    now = time.time()
    with stage_cpu("rows"):
        rows = [_row(c, tags, now, r.score) for c, tags, r in zip(complaints, tag_lists, risks, strict=True)]
        context.sink.add(rows, events)
    if complaints and context.tagger.tagger is not None:
        await context.tagger.count_predictions(len(complaints))
    with stage_cpu("window_counts"):
        await _send_window_counts(worker, placed, tag_lists)
    CLASSIFY_BATCH_SECONDS.observe(time.perf_counter() - started)
    COMPLAINTS.labels(agent="classify_complaints").inc(len(complaints))
    for c in complaints:
        CLASSIFY_LATENCY_SECONDS.observe(now - c.received_at)


def _tag(context: WorkerContext, complaints: Sequence[ComplaintEvent]) -> list[list[TagResult]]:
    """Tags per complaint; untagged (stored all the same) when there is no model or it fails."""
    tagger = context.tagger.tagger
    if tagger is None or not complaints:
        return [[] for _ in complaints]
    try:
        return tagger.predict_many([c.text for c in complaints])
    except Exception:
        # Crashing here would restart the agent past these unacked events; storing them untagged
        # keeps every complaint, and the log says which model failed.
        log.exception(
            "model %s failed on a batch of %d; storing it untagged", context.tagger.version, len(complaints)
        )
        return [[] for _ in complaints]


async def _send_window_counts(
    worker: Worker, placed: Sequence[_Placed], tag_lists: Sequence[list[TagResult]]
) -> None:
    """Count the batch per rule window; each complaint once, however often the batch repeats it."""
    first_copies: dict[str, _Placed] = {}
    tagged = []
    for p, tags in zip(placed, tag_lists, strict=True):
        c = p.complaint
        if c.event_id in first_copies:
            continue
        first_copies[c.event_id] = p
        tagged.append(
            TaggedComplaint(
                c.event_id,
                {t.dimension: t.tag for t in tags},
                channel=c.channel,
                branch=c.branch,
                line=c.line,
                regulator_forwarded=c.regulator_forwarded,
                event_time=c.received_at,
            )
        )
    by_destination: dict[int, list[WindowIncrement]] = {}
    for key, counted in count_batch(worker.context.rules.rules.enabled, tagged).items():
        by_partition: dict[int, list[int]] = {}
        for event_id in counted.event_ids:
            p = first_copies[event_id]
            by_partition.setdefault(p.partition, []).append(p.position)
        destination = _partition_of(f"{key.rule_id}|{key.group}".encode(), worker.settings.topic_partitions)
        for partition, positions in by_partition.items():
            by_destination.setdefault(destination, []).append(
                WindowIncrement(
                    rule_id=key.rule_id,
                    group=key.group,
                    window_start=key.window_start,
                    source_partition=partition,
                    offsets=tuple(sorted(positions)),
                    last_event_at=counted.last_event_at,
                )
            )
    for destination, increments in by_destination.items():
        batch = WindowIncrementBatch(increments=tuple(increments))
        await worker.topics.window_increments.send(
            value=batch.model_dump_json().encode(), partition=destination
        )


def _partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2) gives ``key`` in ``window.increments``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def _row(c: ComplaintEvent, tags: Sequence[TagResult], classified_at: float, risk: float) -> dict[str, Any]:
    return {
        "event_id": c.event_id,
        "received_at": c.received_at,
        "classified_at": classified_at,
        "channel": c.channel,
        "branch": c.branch or "",
        "line": c.line or "",
        "product_hint": c.product_hint or "",
        "customer_ref_hash": c.customer_ref_hash or "",
        "regulator_forwarded": int(c.regulator_forwarded),
        "regulator_ref": c.regulator_ref or "",
        "text": c.text,
        "tag_dimensions": [t.dimension for t in tags],
        "tags": [t.tag for t in tags],
        "tag_confidences": [t.confidence for t in tags],
        "tag_sources": [t.source for t in tags],
        # How sure the model was (best minus runner-up probability), for the review queue;
        # NO_MARGIN (-1) where a keyword rule or a remembered label decided (margin None).
        "tag_margins": [NO_MARGIN if t.margin is None else t.margin for t in tags],
        "model_version": tags[0].model_version if tags else "",
        "risk": risk,
    }
