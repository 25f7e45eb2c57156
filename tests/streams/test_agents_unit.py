"""The agents without a broker: each agent of a worker built by the factory, fed through Faust's
``agent.test_context()``, with a real tagger (trained on a few texts), real rules (a rules YAML)
and doubles only for what needs a server: the ClickHouse sink and the Redis alert store.

The topics the agents write (``window.increments``, ``deadletter``) are in-memory channels here,
so what an agent sent is read back and, for window increments, fed to the next agent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import pytest

from alerts import Alert
from config.settings import Settings
from events.call_records import CallMetadata, UtteranceEvent
from online_models import Tagger
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from storage.alert_states import RaiseOutcome
from streams.agents import classify, complaint_alerts, escalations, windows
from streams.rules_source import RulesSource
from streams.worker import assemble_worker
from streams.worker_parts import Worker

RULES = """
rules:
  - id: unit-card-lost
    kind: threshold
    title: Lost cards (unit test)
    severity: warning
    dimension: product
    tag: card
    window_seconds: 86400
    threshold: 3
  - id: unit-regulator
    kind: regulator_forwarded
    title: Regulator-forwarded (unit test)
    severity: warning
  - id: unit-live-call
    kind: live_call
    title: Caller escalating (unit test)
    severity: critical
    min_risk_level: high
"""
TRAINING = [
    ("I lost my card yesterday", "card"),
    ("my debit card was stolen", "card"),
    ("card blocked at the atm", "card"),
    ("the mortgage rate went up", "mortgage"),
    ("mortgage payment was taken twice", "mortgage"),
    ("my mortgage statement is wrong", "mortgage"),
]
#: Longest a test waits for an agent to act on what it was given.
WAIT_S = 10.0


@dataclass
class LoadedTagger:
    """The worker context's model source, holding a trained tagger (no registry in Redis)."""

    tagger: Tagger
    version: str = "unit-1"
    predictions: int = 0

    async def count_predictions(self, n: int) -> None:
        self.predictions += n


@dataclass
class RecordingSink:
    """The complaint sink's double: keeps the rows it was given and acks their events."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    buffered: int = 0

    def add(self, rows: Sequence[dict[str, Any]], events: Sequence[faust.EventT]) -> None:
        self.rows.extend(rows)
        for event in events:
            event.ack()

    async def wait_for_room(self) -> None:
        return None


@dataclass
class RecordingAlertStore:
    """The alert store's double: keeps every alert raised, each one firing."""

    raised: list[Alert] = field(default_factory=list)

    async def raise_many(self, alerts: Sequence[tuple[Alert, int | None]]) -> list[RaiseOutcome]:
        return [await self.raise_alert(alert) for alert, _ in alerts]

    async def raise_alert(self, alert: Alert, cooldown_seconds: int | None = None) -> RaiseOutcome:
        self.raised.append(alert)
        return RaiseOutcome("fired", alert, f"{len(self.raised)}-0")


@dataclass
class Parts:
    worker: Worker
    sink: RecordingSink
    store: RecordingAlertStore
    #: Readers of what the agents sent to ``window.increments`` and ``deadletter``.
    increments: faust.ChannelT
    dead_letters: faust.ChannelT


def _trained_tagger() -> Tagger:
    tagger = Tagger({"product": NaiveBayesTextClassifier()}, min_seen=len(TRAINING))
    for text, tag in TRAINING:
        tagger.learn_one(text, "product", tag)
    return tagger


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    settings = Settings(
        topic_prefix=f"unit-{uuid.uuid4().hex[:8]}",
        rules_path=rules,
        state_dir=tmp_path,
        topic_partitions=1,
        classify_batch_s=0.01,
    )
    # Never connected: agents under test_context() read in-memory channels (no memory transport here).
    app = faust.App(
        settings.topic_prefix, broker="kafka://127.0.0.1:9", store="memory://", autodiscover=False
    )
    assembled = assemble_worker(settings, app)
    # What the agents send goes to in-memory channels; a channel keeps what its readers subscribed.
    increments, dead_letters = app.channel(maxsize=100), app.channel(maxsize=100)
    readers = increments.clone(is_iterator=True), dead_letters.clone(is_iterator=True)
    topics = dataclasses.replace(assembled.topics, window_increments=increments, deadletter=dead_letters)
    worker = dataclasses.replace(assembled, topics=topics)
    sink, store = RecordingSink(), RecordingAlertStore()
    context = worker.context
    context.rules = RulesSource(rules)
    context.tagger = LoadedTagger(_trained_tagger())  # type: ignore[assignment]  # a TaggerSource test double
    context.sink = sink  # type: ignore[assignment]  # an AckedSink test double
    context.ready.set()
    worker.alert_context.store = store  # type: ignore[assignment]  # an AlertStore test double
    worker.alert_context.ready.set()
    yield Parts(worker, sink, store, *readers)


def _complaint(text: str, **fields: Any) -> bytes:
    return json.dumps(
        {"event_id": uuid.uuid4().hex, "text": text, "channel": "web", "received_at": time.time(), **fields}
    ).encode()


async def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def _drain(reader: faust.ChannelT) -> list[faust.EventT]:
    """Everything sent to an in-memory channel so far, from one of its readers."""
    out = []
    while not reader.empty():
        out.append(reader.queue.get_nowait())
    return out


async def test_classified_complaints_are_stored_with_their_tags(parts: Parts) -> None:
    agent = classify.install(parts.worker)
    async with agent.test_context() as tested:
        for text in ("I lost my card on the bus", "the mortgage rate is too high"):
            await tested.put(_complaint(text), key=b"k", wait=False)
        await _eventually(lambda: len(parts.sink.rows) == 2, "two stored rows")
    by_text = {row["text"]: row for row in parts.sink.rows}
    assert by_text["I lost my card on the bus"]["tags"] == ["card"]
    assert by_text["the mortgage rate is too high"]["tags"] == ["mortgage"]
    assert all(row["model_version"] == parts.worker.context.tagger.tagger.version for row in parts.sink.rows)
    assert parts.worker.context.tagger.predictions == 2  # type: ignore[attr-defined]  # it is a LoadedTagger


async def test_a_bad_record_is_dead_lettered_and_the_rest_stored(parts: Parts) -> None:
    agent = classify.install(parts.worker)
    async with agent.test_context() as tested:
        await tested.put(b'{"event_id": "broken", "text": ', key=b"broken", wait=False)
        await tested.put(_complaint("card stolen at the shop"), key=b"k", wait=False)
        await _eventually(lambda: len(parts.sink.rows) == 1, "the good record stored")
    letters = [json.loads(event.value) for event in _drain(parts.dead_letters)]
    assert len(letters) == 1
    assert "broken" in letters[0]["payload"]
    assert letters[0]["source_topic"] == parts.worker.topics.complaints_in.get_topic_name()
    assert parts.sink.rows[0]["tags"] == ["card"]


async def test_tagged_complaints_cross_a_threshold_once(parts: Parts) -> None:
    """classify counts the batch per rule window; the window agent fires when the count reaches 3."""
    classifier = classify.install(parts.worker)
    counter = windows.install(parts.worker)
    async with classifier.test_context() as tested:
        for i in range(4):
            await tested.put(_complaint(f"lost card number {i}", branch="north"), key=b"k", wait=False)
        await _eventually(lambda: len(parts.sink.rows) == 4, "four stored rows")
    increments = _drain(parts.increments)
    assert increments, "the classify agent sent no window increments"
    async with counter.test_context() as tested:
        for event in increments:
            await tested.put(event.value, key=event.key, wait=False)
        await _eventually(lambda: len(parts.store.raised) == 1, "one threshold alert")
        await asyncio.sleep(0.05)
    [alert] = parts.store.raised
    assert alert.rule_id == "unit-card-lost"
    assert alert.kind == "threshold"


async def test_a_regulator_forwarded_complaint_raises_an_alert(parts: Parts) -> None:
    agent = complaint_alerts.install(parts.worker)
    forwarded = _complaint("the regulator sent this on", regulator_forwarded=True, regulator_ref="FSC-1")
    async with agent.test_context() as tested:
        await tested.put(_complaint("nobody answers my calls"), key=b"a", wait=False)
        await tested.put(b"not json at all", key=b"bad", wait=False)  # left to the classify agent
        await tested.put(forwarded, key=b"b", wait=False)
        await _eventually(lambda: len(parts.store.raised) == 1, "one regulator alert")
    [alert] = parts.store.raised
    assert (alert.rule_id, alert.regulator) == ("unit-regulator", True)
    assert alert.complaint_id == json.loads(forwarded)["event_id"]
    assert _drain(parts.dead_letters) == []


def _utterance(call_id: str, index: int, *, risk: float, level: str, forwarded: bool = False) -> bytes:
    now = time.time()
    return (
        UtteranceEvent(
            utterance_id=f"{call_id}:{index}",
            call_id=call_id,
            index=index,
            text="I will take this to the regulator",
            start_s=1.0,
            end_s=3.0,
            confidence=0.9,
            risk=risk,
            risk_level=level,
            metadata=CallMetadata(regulator_forwarded=forwarded),
            call_started_at=now - 5,
            recognized_at=now,
        )
        .model_dump_json()
        .encode()
    )


async def test_a_risky_utterance_raises_a_live_call_alert(parts: Parts) -> None:
    agent = escalations.install(parts.worker)
    async with agent.test_context() as tested:
        await tested.put(_utterance("call-calm", 0, risk=0.1, level="low"), key=b"call-calm", wait=False)
        await tested.put(_utterance("call-risky", 0, risk=0.9, level="high"), key=b"call-risky", wait=False)
        await tested.put(
            _utterance("call-fwd", 0, risk=0.1, level="low", forwarded=True), key=b"call-fwd", wait=False
        )
        await _eventually(lambda: len(parts.store.raised) == 2, "a live-call and a regulator alert")
    by_rule = {alert.rule_id: alert for alert in parts.store.raised}
    assert by_rule["unit-live-call"].call_id == "call-risky"
    assert by_rule["unit-regulator"].call_id == "call-fwd"
