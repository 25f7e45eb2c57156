"""Worker-side model numbers in Redis, for the API to expose: predictions made, and which model
version each worker has loaded.

Workers and the API are separate processes (and hosts), so the classify agents write small
counters here and ``GET /api/v1/models`` and ``/metrics`` read them back.
"""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis

from storage.model_registry import TAGGER_MODEL_NAME
from storage.redis_values import as_text

__all__ = ["ModelMetricsStore", "WorkerModel"]

#: Per-second prediction counters live this long (the rate reads the last few seconds only).
_SECOND_TTL_S = 120


class WorkerModel(dict[str, object]):
    """``{"version": ..., "reported_at": ...}`` of one worker (a dict: it goes straight to JSON)."""


class ModelMetricsStore:
    """Prediction counters and worker model versions of one model name.

    Keys: ``<prefix>:models:<name>:predictions_total`` (all-time count),
    ``...:predictions:<epoch second>`` (per-second counts, expiring) and ``...:workers`` (hash of
    worker id -> JSON).
    """

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, name: str = TAGGER_MODEL_NAME) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.name = name

    def _key(self, part: str) -> str:
        return f"{self.key_prefix}:models:{self.name}:{part}"

    async def add_predictions(self, n: int, *, now: float | None = None) -> None:
        """Count ``n`` complaints just tagged."""
        if n <= 0:
            return
        second = int(time.time() if now is None else now)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incrby(self._key("predictions_total"), n)
            pipe.incrby(self._key(f"predictions:{second}"), n)
            pipe.expire(self._key(f"predictions:{second}"), _SECOND_TTL_S)
            await pipe.execute()

    async def predictions_total(self) -> int:
        raw = await self.redis.get(self._key("predictions_total"))
        return int(raw) if raw is not None else 0

    async def predictions_per_s(self, *, window_s: int = 10, now: float | None = None) -> float:
        """Average rate over the last ``window_s`` whole seconds, all workers together."""
        current = int(time.time() if now is None else now)
        keys = [self._key(f"predictions:{second}") for second in range(current - window_s, current)]
        values = await self.redis.mget(keys)
        return sum(int(v) for v in values if v is not None) / window_s

    async def report_worker(self, worker: str, *, version: str | None, now: float | None = None) -> None:
        """Record the model version ``worker`` has loaded (None: no model yet)."""
        entry = {"version": version, "reported_at": time.time() if now is None else now}
        await self.redis.hset(self._key("workers"), worker, json.dumps(entry))

    async def forget_worker(self, worker: str) -> None:
        await self.redis.hdel(self._key("workers"), worker)

    async def workers(self, *, max_age_s: float, now: float | None = None) -> dict[str, WorkerModel]:
        """Workers that reported within ``max_age_s``; older entries are dropped (dead workers)."""
        current = time.time() if now is None else now
        found: dict[str, WorkerModel] = {}
        stale: list[bytes | str] = []
        for worker, raw in (await self.redis.hgetall(self._key("workers"))).items():
            entry = json.loads(raw)
            if current - float(entry.get("reported_at", 0.0)) > max_age_s:
                stale.append(worker)
            else:
                found[as_text(worker)] = WorkerModel(entry)
        if stale:
            await self.redis.hdel(self._key("workers"), *stale)
        return dict(sorted(found.items()))
