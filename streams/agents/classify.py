"""Classify complaints in micro-batches: tag, score risk, store, and count them for the threshold rules."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import faust

from alerts import TaggedComplaint, count_batch
from hotline.settings import get_settings
from online_models import RiskScorer, TagResult
from storage.clickhouse import NO_MARGIN
from streams.app import app
from streams.decoding import decode_or_dead_letter
from streams.records import ComplaintEvent, WindowIncrement
from streams.topics import complaints_in, window_increments
from streams.worker_context import context
from streams.worker_metrics import CLASSIFY_BATCH_SECONDS, CLASSIFY_LATENCY_SECONDS

__all__ = ["classify_complaints"]

log = logging.getLogger(__name__)
_settings = get_settings()
#: Stateless (phrase patterns only), so one scorer serves every batch.
_risk_scorer = RiskScorer()


@app.agent(complaints_in)
async def classify_complaints(stream: faust.StreamT) -> None:
    """Every complaint: decode, tag, store in ClickHouse, count per rule window."""
    await context.ready.wait()
    async for events in stream.noack_take(_settings.classify_batch_size, within=_settings.classify_batch_s):
        await context.sink.wait_for_room()
        started = time.perf_counter()
        complaints = [await decode_or_dead_letter(event, ComplaintEvent) for event in events]
        valid = [c for c in complaints if c is not None]
        tag_lists = _tag(valid)
        risks = _risk_scorer.score_many([c.text for c in valid])
        now = time.time()
        context.sink.add(
            [_row(c, tags, now, r.score) for c, tags, r in zip(valid, tag_lists, risks, strict=True)], events
        )
        if valid and context.tagger.tagger is not None:
            await context.tagger.count_predictions(len(valid))
        await _send_window_counts(events, complaints, tag_lists)
        CLASSIFY_BATCH_SECONDS.observe(time.perf_counter() - started)
        for c in valid:
            CLASSIFY_LATENCY_SECONDS.observe(now - c.received_at)


def _tag(complaints: Sequence[ComplaintEvent]) -> list[list[TagResult]]:
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
    events: Sequence[faust.EventT],
    complaints: Sequence[ComplaintEvent | None],
    tag_lists: Sequence[list[TagResult]],
) -> None:
    """Count the batch per rule window; each complaint once, however often the batch repeats it."""
    offsets: dict[str, tuple[int, int]] = {}  # event id -> (partition, offset) of its first copy
    tagged = []
    valid = (pair for pair in zip(events, complaints, strict=True) if pair[1] is not None)
    for (event, c), tags in zip(valid, tag_lists, strict=True):
        if c.event_id in offsets:
            continue
        offsets[c.event_id] = (event.message.partition, event.message.offset)
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
    for key, counted in count_batch(context.rules.rules.enabled, tagged).items():
        by_partition: dict[int, list[int]] = {}
        for event_id in counted.event_ids:
            partition, offset = offsets[event_id]
            by_partition.setdefault(partition, []).append(offset)
        for partition, partition_offsets in by_partition.items():
            increment = WindowIncrement(
                rule_id=key.rule_id,
                group=key.group,
                window_start=key.window_start,
                source_partition=partition,
                offsets=tuple(sorted(partition_offsets)),
                last_event_at=counted.last_event_at,
            )
            await window_increments.send(
                key=f"{key.rule_id}|{key.group}".encode(), value=increment.model_dump_json().encode()
            )


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
