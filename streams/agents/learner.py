"""The one learner: keeps the tagger that learns from reviewers' labels and publishes it, signed.

Runs in every worker but works only in the one that is assigned the single partition of
``labels``. Its state is always "the latest registry snapshot + the labels learned since":

- it starts from the registry's latest snapshot (or, when there is none, a rules-only tagger
  built from the taxonomy), never from scratch;
- every snapshot records the offset of the last label it learned, and labels at or below that
  offset are skipped, so a label redelivered after a restart is not learned twice;
- a label's event is acked only once a snapshot containing it is published, so a crash between
  learning and publishing loses nothing (the label is delivered again);
- it publishes only if the registry still holds the snapshot it started from (compare-and-set);
  if someone else published meanwhile (a bootstrap, a worker that took over the partition), it
  adopts that snapshot and learns its unpublished labels again on top of it;
- snapshots are throttled (``HOTLINE_MODEL_PUBLISH_INTERVAL_S``): a burst of labels makes one.

Each batch is first predicted, then learned (test-then-train), for the prequential accuracy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import faust
import redis.asyncio as aioredis
from mode import Service
from redis.exceptions import RedisError

from config.settings import Settings
from events.label_records import LabelEvent
from online_models import (
    PrequentialAccuracy,
    SnapshotSignatureError,
    Tagger,
    TaxonomyError,
    TaxonomyFile,
    apply_taxonomy,
    dumps_signed,
    lineage_name,
    loads_signed,
    tagger_from_taxonomy,
)
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry, SnapshotMeta
from streams.decoding import decode_or_dead_letter
from streams.topics import Topics

__all__ = ["ModelLearner"]

log = logging.getLogger(__name__)


class ModelLearner(Service):
    """The learner's state and its two jobs: learn a batch, publish when due."""

    def __init__(self, settings: Settings, *, app: faust.App, topics: Topics, **kwargs: object) -> None:
        self.settings = settings
        self.app = app
        self.topics = topics
        self.tagger: Tagger | None = None
        self.version: str | None = None  # registry version self.tagger is based on (None: unpublished)
        self.labels_offset: int | None = None  # last labels offset self.tagger has learned
        self.prequential = PrequentialAccuracy(settings.prequential_window)
        self.taxonomy = TaxonomyFile(settings.taxonomy_path)
        self._pending: list[tuple[faust.EventT, LabelEvent]] = []  # learned, not yet published
        self._backlog: list[tuple[faust.EventT, LabelEvent | None]] = []  # received, not yet learned
        self._dirty = False
        self._last_publish = 0.0
        self._lock = asyncio.Lock()
        self.ready = asyncio.Event()
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        s = self.settings
        if s.model_signing_key is None:
            raise RuntimeError("HOTLINE_MODEL_SIGNING_KEY is not set: the learner cannot sign models")
        self.signing_key = s.model_signing_key.get_secret_value().encode()
        self.redis = aioredis.Redis.from_url(s.redis_url)
        self.registry = ModelRegistry(self.redis, key_prefix=s.redis_key_prefix)
        self.ready.set()

    async def on_stop(self) -> None:
        await self.redis.aclose()

    def owns_labels(self) -> bool:
        """Whether this worker is assigned the ``labels`` partition (so it is THE learner)."""
        labels = self.topics.labels.get_topic_name()
        return any(tp.topic == labels for tp in self.app.consumer.assignment())

    # -- state ------------------------------------------------------------------------------------

    async def _ensure_current(self) -> None:
        """Hold the registry's latest snapshot (plus our unpublished labels); load it if needed."""
        latest = await self.registry.version(TAGGER_MODEL_NAME)
        if self.tagger is not None and latest == self.version:
            return
        if latest is None:
            if self.tagger is None:
                self.tagger = tagger_from_taxonomy(self.taxonomy.current(), name=lineage_name())
                await asyncio.to_thread(self.tagger.prepare_updates)
                self._dirty = True  # a rules-only tagger is better than none: publish it
                log.info("no model in the registry: starting %s from the taxonomy", self.tagger.version)
            return
        loaded = await self.registry.load_with_meta(TAGGER_MODEL_NAME)
        if loaded is None:
            return
        blob, meta = loaded
        try:
            tagger = await asyncio.to_thread(loads_signed, blob, self.signing_key)
            if not isinstance(tagger, Tagger):
                raise SnapshotSignatureError(f"it holds {type(tagger).__name__}, not a Tagger")
        except SnapshotSignatureError as exc:
            log.error("registry snapshot %s refused: %s; the next publish replaces it", meta.version, exc)
            if self.tagger is None:
                self.tagger = tagger_from_taxonomy(self.taxonomy.current(), name=lineage_name())
            self.version, self._dirty = meta.version, True
            return
        self._adopt(tagger, meta)
        await asyncio.to_thread(tagger.prepare_updates)

    def _adopt(self, tagger: Tagger, meta: SnapshotMeta) -> None:
        kept: list[tuple[faust.EventT, LabelEvent]] = []
        for event, label in self._pending:
            if meta.labels_offset is not None and event.message.offset <= meta.labels_offset:
                event.ack()  # the new snapshot has learned it already
                continue
            if label.dimension in tagger.dimensions:
                tagger.learn_one(label.text, label.dimension, label.tag)
            kept.append((event, label))
        self._pending = kept
        saved = meta.extra.get("prequential")
        if saved:
            self.prequential = PrequentialAccuracy.from_state(saved, window=self.settings.prequential_window)
        self.tagger, self.version = tagger, meta.version
        self.labels_offset = meta.labels_offset if meta.labels_offset is not None else self.labels_offset
        self._dirty = bool(kept)
        log.info(
            "learner now based on %s (%s, %d unpublished label(s) learned again)",
            meta.version,
            meta.source,
            len(kept),
        )
        self._apply_taxonomy()

    def _apply_taxonomy(self) -> None:
        assert self.tagger is not None
        try:
            self.taxonomy.refresh()
        except TaxonomyError as exc:
            log.error("taxonomy not applied (the previous one stays in force):\n%s", exc)
        changes = apply_taxonomy(self.tagger, self.taxonomy.current())
        if changes:
            self._dirty = True
            log.info("taxonomy applied to the tagger: %s", "; ".join(changes))

    async def forget(self) -> None:
        """Drop the state (the partition went to another worker: it carries on from the registry).

        Unpublished labels stay unacked, so the new learner reads them again.
        """
        if self.tagger is None and not self._backlog:
            return
        async with self._lock:
            if self.tagger is not None:
                log.info("labels partition gone: learner state of %s dropped", self.tagger.version)
            self.tagger, self.version, self.labels_offset = None, None, None
            self._pending.clear()
            self._backlog.clear()
            self._dirty = False

    # -- jobs -------------------------------------------------------------------------------------

    async def learn(self, events: Sequence[faust.EventT]) -> int:
        """Test-then-train on a batch of label events; returns the labels learned.

        When the learner cannot start (Redis down, no snapshot and no valid taxonomy) the labels
        wait in memory, unacked, and the next batch or taxonomy check tries again.
        """
        decoded = [
            (event, await decode_or_dead_letter(event, LabelEvent, self.topics.deadletter))
            for event in events
        ]
        async with self._lock:
            self._backlog.extend(decoded)
            try:
                await self._ensure_current()
            except (TaxonomyError, RedisError, OSError) as exc:
                log.error("learner cannot start (%r); %d label(s) wait", exc, len(self._backlog))
                return 0
            assert self.tagger is not None
            decoded, self._backlog = self._backlog, []
            fresh: list[tuple[faust.EventT, LabelEvent]] = []
            for event, label in decoded:
                offset = event.message.offset
                if label is None or (self.labels_offset is not None and offset <= self.labels_offset):
                    event.ack()  # unreadable (dead-lettered) or already in the snapshot
                elif label.dimension not in self.tagger.dimensions:
                    log.warning("label for dimension %s dropped: not in the taxonomy", label.dimension)
                    event.ack()
                else:
                    fresh.append((event, label))
            if not fresh:
                return 0
            predicted = await asyncio.to_thread(self._predict, [label for _, label in fresh])
            for (event, label), guess in zip(fresh, predicted, strict=True):
                self.prequential.update(label.dimension, predicted=guess, truth=label.tag)
                self.tagger.learn_one(label.text, label.dimension, label.tag)
                self.labels_offset = max(self.labels_offset or -1, event.message.offset)
                self._pending.append((event, label))
            self._dirty = True
            return len(fresh)

    def _predict(self, batch: Sequence[LabelEvent]) -> list[str | None]:
        """The current tag of each label's text in the label's dimension (before learning any)."""
        assert self.tagger is not None
        by_dimension: dict[str, list[int]] = {}
        for i, label in enumerate(batch):
            by_dimension.setdefault(label.dimension, []).append(i)
        found: dict[int, str | None] = {}
        for dimension, indices in by_dimension.items():
            results = self.tagger.predict_many([batch[i].text for i in indices], dimensions=[dimension])
            for i, tags in zip(indices, results, strict=True):
                found[i] = tags[0].tag if tags else None
        return [found[i] for i in range(len(batch))]

    async def publish_due(self, *, force: bool = False) -> str | None:
        """Publish the learned tagger if it changed and the interval has passed; the new version."""
        async with self._lock:
            if not self._dirty or self.tagger is None:
                return None
            if not force and time.monotonic() - self._last_publish < self.settings.model_publish_interval_s:
                return None
            tagger = self.tagger
            version = tagger.version
            started = time.perf_counter()
            blob = await asyncio.to_thread(dumps_signed, tagger, self.signing_key)
            try:
                meta = await self.registry.save_if_current(
                    TAGGER_MODEL_NAME,
                    expected_version=self.version,
                    version=version,
                    blob=blob,
                    source="learner",
                    labels_offset=self.labels_offset,
                    extra={"prequential": self.prequential.to_state(), "model_choices": tagger.model_choices},
                )
                if meta is None:  # someone else published: learn our labels again on top of theirs
                    log.info("registry moved on from %s; rebasing the learner first", self.version)
                    await self._ensure_current()
                    return None
            except (RedisError, OSError) as exc:
                log.error("could not publish model %s (%r); retrying with the next labels", version, exc)
                return None
            self.version, self._dirty, self._last_publish = version, False, time.monotonic()
            for event, _ in self._pending:
                event.ack()
            published = len(self._pending)
            self._pending.clear()
        log.info(
            "published model %s (%d bytes, %d new label(s), %.2f s)",
            version,
            len(blob),
            published,
            time.perf_counter() - started,
        )
        return version

    async def check_taxonomy(self) -> None:
        """Apply taxonomy edits (and start from the registry or the taxonomy if not yet started);
        labels that had to wait are learned now."""
        async with self._lock:
            try:
                await self._ensure_current()
            except (TaxonomyError, RedisError, OSError) as exc:
                log.error("learner cannot start (%r); %d label(s) wait", exc, len(self._backlog))
                return
            self._apply_taxonomy()
        if self._backlog:
            await self.learn([])
