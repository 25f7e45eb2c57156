"""The tagger a worker classifies with: the latest signed snapshot from the model registry.

A snapshot that fails its signature check is refused (never unpickled) and the current tagger
stays; so does one that loads but cannot predict. Verifying and unpickling (~0.2 s for a large
model) run in a thread so the agents keep going meanwhile. The worker reports the version it has
loaded, and counts the complaints it tags, through Redis (``storage.model_metrics``) for the API.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from redis.exceptions import RedisError

from online_models import SnapshotSignatureError, Tagger, loads_signed
from storage.model_metrics import ModelMetricsStore
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry
from streams.outage_log import OutageLog

__all__ = ["TaggerSource", "worker_id"]

log = logging.getLogger(__name__)

#: A worker re-reports its loaded version this often, so the API can tell live workers from dead.
REPORT_EVERY_S = 10.0
#: Text the model must tag without error before a new snapshot replaces the current one.
PROBE_TEXT = "model load check 模型加载检查"


def worker_id() -> str:
    """``host:pid`` of this process (no customer data, stable for the process's life)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class TaggerSource:
    """Holds the current tagger and swaps in a newer registry version when there is one."""

    def __init__(self, registry: ModelRegistry, *, signing_key: bytes) -> None:
        self.registry = registry
        self.signing_key = signing_key
        self.metrics = ModelMetricsStore(registry.redis, key_prefix=registry.key_prefix)
        self.worker = worker_id()
        self.tagger: Tagger | None = None
        self.version: str | None = None
        self._refused: str | None = None
        self._lock = asyncio.Lock()
        self._reported_at = 0.0
        self._uncounted = 0  # predictions not counted since the metrics store became unreachable
        self._registry_outage = OutageLog("model registry poll (keeping the current model)", log)

    async def refresh(self) -> bool:
        """Load the registry's latest version if it is new; True when the tagger changed."""
        async with self._lock:
            try:
                changed = await self._refresh()
            except (RedisError, OSError) as exc:  # Redis restarting: keep the current model, poll on
                self._registry_outage.failed(exc)
                return False
            self._registry_outage.recovered()
        if changed or time.monotonic() - self._reported_at >= REPORT_EVERY_S:
            await self._report()
        return changed

    async def _refresh(self) -> bool:
        latest = await self.registry.version(TAGGER_MODEL_NAME)
        if latest is None or latest in (self.version, self._refused):
            if latest is None and self.tagger is None and self._refused != "<none>":
                log.warning("no model in the registry yet: run `hotline models bootstrap FILE`")
                self._refused = "<none>"
            return False
        loaded = await self.registry.load(TAGGER_MODEL_NAME)
        if loaded is None:
            return False
        version, blob = loaded
        try:
            tagger = await asyncio.to_thread(self._verify, blob)
        except SnapshotSignatureError as exc:
            log.error("refused model snapshot %s: %s (keeping %s)", version, exc, self.version)
            self._refused = version
            return False
        except Exception as exc:  # a snapshot pickled by older code can load and still fail on first use
            log.error("refused model snapshot %s: %r (keeping %s)", version, exc, self.version)
            self._refused = version
            return False
        self.tagger, self.version = tagger, version
        log.info("loaded model %s (%d bytes)", version, len(blob))
        return True

    def _verify(self, blob: bytes) -> Tagger:
        tagger = loads_signed(blob, self.signing_key)
        if not isinstance(tagger, Tagger):
            raise TypeError(f"the snapshot holds {type(tagger).__name__}, not a Tagger")
        tagger.predict_many([PROBE_TEXT])  # also prepares derived weights before the first batch
        return tagger

    async def _report(self) -> None:
        try:
            await self.metrics.report_worker(self.worker, version=self.version)
            self._reported_at = time.monotonic()
        except Exception as exc:  # metrics must never stop classification
            log.warning("could not report the loaded model version: %r", exc)

    async def count_predictions(self, n: int) -> None:
        """Count ``n`` tagged complaints towards predictions/s (best effort)."""
        try:
            await self.metrics.add_predictions(n)
        except Exception as exc:
            if not self._uncounted:  # once per outage, not once per batch
                log.warning("could not count predictions (Redis unreachable?): %r", exc)
            self._uncounted += n
            return
        if self._uncounted:
            log.info("counting predictions again; %d were not counted meanwhile", self._uncounted)
            self._uncounted = 0

    async def follow_updates(self) -> None:
        """Refresh as soon as the registry announces a version (runs until cancelled).

        Polling (the worker's timer) still runs: a missed announcement only costs its interval.
        """
        pubsub = self.registry.redis.pubsub()
        await pubsub.subscribe(self.registry.updates_channel(TAGGER_MODEL_NAME))
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await self.refresh()
        finally:
            await pubsub.aclose()
