"""Model snapshots in Redis: the signed blob and its version, under one key prefix.

The registry stores bytes only; signing and verifying belong to ``online_models.snapshots``, so a
reader here can never unpickle anything by accident.
"""

from __future__ import annotations

import redis.asyncio as aioredis

__all__ = ["TAGGER_MODEL_NAME", "ModelRegistry"]

#: Registry name of the multi-dimension complaint tagger.
TAGGER_MODEL_NAME = "tagger"


class ModelRegistry:
    """Latest signed snapshot per model name.

    ``<prefix>:models:<name>:snapshot`` holds the blob and ``<prefix>:models:<name>:version`` its
    version, written together in one transaction so a reader never pairs a blob with another version.
    """

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def _key(self, name: str, part: str) -> str:
        return f"{self.key_prefix}:models:{name}:{part}"

    async def save(self, name: str, *, version: str, blob: bytes) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(name, "snapshot"), blob)
            pipe.set(self._key(name, "version"), version.encode())
            await pipe.execute()

    async def version(self, name: str) -> str | None:
        raw = await self.redis.get(self._key(name, "version"))
        return raw.decode() if raw is not None else None

    async def load(self, name: str) -> tuple[str, bytes] | None:
        """The (version, blob) pair, or None when nothing was saved yet."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self._key(name, "version"))
            pipe.get(self._key(name, "snapshot"))
            version, blob = await pipe.execute()
        if version is None or blob is None:
            return None
        return version.decode(), blob
