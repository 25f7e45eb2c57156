"""The tagger a worker classifies with: the latest signed snapshot from the model registry.

A snapshot that fails its signature check is refused (never unpickled) and the current tagger stays.
"""

from __future__ import annotations

import logging

from online_models import SnapshotSignatureError, Tagger, loads_signed
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["TaggerSource"]

log = logging.getLogger(__name__)


class TaggerSource:
    """Holds the current tagger and swaps in a newer registry version when there is one."""

    def __init__(self, registry: ModelRegistry, *, signing_key: bytes) -> None:
        self.registry = registry
        self.signing_key = signing_key
        self.tagger: Tagger | None = None
        self.version: str | None = None
        self._refused: str | None = None

    async def refresh(self) -> bool:
        """Load the registry's latest version if it is new; True when the tagger changed."""
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
            tagger = loads_signed(blob, self.signing_key)
        except SnapshotSignatureError as exc:
            log.error("refused model snapshot %s: %s (keeping %s)", version, exc, self.version)
            self._refused = version
            return False
        if not isinstance(tagger, Tagger):
            log.error("refused model snapshot %s: holds %s, not a Tagger", version, type(tagger).__name__)
            self._refused = version
            return False
        try:  # a snapshot pickled by older code can load and still fail on first use
            tagger.predict_many(["model load check"])
        except Exception as exc:
            log.error(
                "refused model snapshot %s: it cannot predict (%r); keeping %s", version, exc, self.version
            )
            self._refused = version
            return False
        self.tagger, self.version = tagger, version
        log.info("loaded model %s (%d bytes)", version, len(blob))
        return True
