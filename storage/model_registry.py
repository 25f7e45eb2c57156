"""Model snapshots in Redis: the signed blob, its version and its metadata, under one key prefix.

The registry stores bytes only; signing and verifying belong to ``online_models.snapshots``, so a
reader here can never unpickle anything by accident. Every save is announced on a pub/sub channel
so workers can load a new model at once instead of waiting for their next poll.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from storage.redis_values import as_optional_text, as_text

__all__ = ["TAGGER_MODEL_NAME", "ModelRegistry", "SnapshotMeta"]

#: Registry name of the multi-dimension complaint tagger.
TAGGER_MODEL_NAME = "tagger"


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """What is known about a saved snapshot without unpickling it.

    ``source`` says who published it (``bootstrap``, ``learner``); ``labels_offset`` is the offset
    of the last ``labels`` record the snapshot has learned (None: not from the learner), so a
    learner that restarts skips the labels it already learned; ``extra`` holds the learner's
    metrics (JSON).
    """

    version: str
    published_at: float
    size: int
    source: str
    labels_offset: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "published_at": self.published_at,
                "size": self.size,
                "source": self.source,
                "labels_offset": self.labels_offset,
                "extra": self.extra,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> SnapshotMeta:
        data = json.loads(raw)
        offset = data.get("labels_offset")
        return cls(
            version=str(data["version"]),
            published_at=float(data.get("published_at", 0.0)),
            size=int(data.get("size", 0)),
            source=str(data.get("source", "unknown")),
            labels_offset=int(offset) if offset is not None else None,
            extra=dict(data.get("extra") or {}),
        )


class ModelRegistry:
    """Latest signed snapshot per model name.

    ``<prefix>:models:<name>:snapshot`` holds the blob, ``...:version`` its version and ``...:meta``
    its :class:`SnapshotMeta`, written together in one transaction so a reader never pairs a blob
    with another version. ``...:updates`` is the pub/sub channel announcing each new version.
    """

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def _key(self, name: str, part: str) -> str:
        return f"{self.key_prefix}:models:{name}:{part}"

    def updates_channel(self, name: str) -> str:
        return self._key(name, "updates")

    async def save(
        self,
        name: str,
        *,
        version: str,
        blob: bytes,
        source: str = "unknown",
        labels_offset: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SnapshotMeta:
        """Store the snapshot as the latest, then announce its version; returns its metadata."""
        meta = SnapshotMeta(version, time.time(), len(blob), source, labels_offset, extra or {})
        async with self.redis.pipeline(transaction=True) as pipe:
            self._queue_save(pipe, name, blob, meta)
            await pipe.execute()
        await self.redis.publish(self.updates_channel(name), version.encode())
        return meta

    async def save_if_current(
        self,
        name: str,
        *,
        expected_version: str | None,
        version: str,
        blob: bytes,
        source: str,
        labels_offset: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SnapshotMeta | None:
        """Like ``save``, but only if the latest version is still ``expected_version`` (None: no
        snapshot yet); None when someone else saved meanwhile (nothing is written then).

        The learner bases every snapshot on the one it loaded: this keeps it from overwriting a
        model published meanwhile (a bootstrap, or a learner that took over its partition).
        """
        meta = SnapshotMeta(version, time.time(), len(blob), source, labels_offset, extra or {})
        version_key = self._key(name, "version")
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(version_key)
            current = await pipe.get(version_key)
            if as_optional_text(current) != expected_version:
                await pipe.unwatch()
                return None
            pipe.multi()
            self._queue_save(pipe, name, blob, meta)
            try:
                await pipe.execute()
            except WatchError:
                return None
        await self.redis.publish(self.updates_channel(name), version.encode())
        return meta

    def _queue_save(self, pipe: Pipeline, name: str, blob: bytes, meta: SnapshotMeta) -> None:
        """Queue the writes of a snapshot and its metadata on ``pipe``."""
        pipe.set(self._key(name, "snapshot"), blob)
        pipe.set(self._key(name, "version"), meta.version.encode())
        pipe.set(self._key(name, "meta"), meta.to_json().encode())

    async def version(self, name: str) -> str | None:
        raw = await self.redis.get(self._key(name, "version"))
        return as_optional_text(raw)

    async def meta(self, name: str) -> SnapshotMeta | None:
        """Metadata of the latest snapshot (None before the first save, or for an old one without)."""
        raw = await self.redis.get(self._key(name, "meta"))
        return SnapshotMeta.from_json(raw) if raw is not None else None

    async def load(self, name: str) -> tuple[str, bytes] | None:
        """The (version, blob) pair, or None when nothing was saved yet."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key(name, "version"))
            pipe.get(self._key(name, "snapshot"))
            version, blob = await pipe.execute()
        if version is None or blob is None:
            return None
        return as_text(version), blob

    async def load_with_meta(self, name: str) -> tuple[bytes, SnapshotMeta] | None:
        """The blob and its metadata, read together (None when nothing was saved yet)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key(name, "version"))
            pipe.get(self._key(name, "snapshot"))
            pipe.get(self._key(name, "meta"))
            version, blob, raw_meta = await pipe.execute()
        if version is None or blob is None:
            return None
        if raw_meta is not None:
            meta = SnapshotMeta.from_json(raw_meta)
            if meta.version == as_text(version):
                return blob, meta
        unknown = SnapshotMeta(version=as_text(version), published_at=0.0, size=len(blob), source="unknown")
        return blob, unknown
