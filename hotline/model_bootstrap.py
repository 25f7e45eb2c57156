"""Bootstrap a tagger from a labelled CSV and publish it, signed, to the model registry."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import redis.asyncio as aioredis

from hotline.settings import Settings
from online_models import bootstrap_tagger, dumps_signed, read_labelled_csv
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["bootstrap_model", "registry_has_model"]

log = logging.getLogger(__name__)


async def bootstrap_model(
    settings: Settings,
    path: Path,
    *,
    text_col: str = "text",
    label_col: str = "category",
    dimension: str | None,
) -> str:
    """Learn from ``path`` in one pass and save the signed snapshot; returns the registry version."""
    if settings.model_signing_key is None:
        raise ValueError("HOTLINE_MODEL_SIGNING_KEY is not set: a model cannot be signed")
    dimension = dimension or settings.model_dimension
    rows = read_labelled_csv(path, text_col=text_col, label_col=label_col)
    started = time.perf_counter()
    log.info("learning dimension %r from %s ...", dimension, path)
    tagger = bootstrap_tagger(rows, dimension)
    n_seen = tagger.dimensions[dimension].n_seen
    log.info("learned %d rows in %.1f s", n_seen, time.perf_counter() - started)
    blob = dumps_signed(tagger, settings.model_signing_key.get_secret_value().encode())
    version = f"{tagger.version}@{time.strftime('%Y%m%dT%H%M%S')}"
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        await ModelRegistry(client, key_prefix=settings.redis_key_prefix).save(
            TAGGER_MODEL_NAME, version=version, blob=blob
        )
    finally:
        await client.aclose()
    log.info("published model %s (%d bytes, %d labels)", version, len(blob), n_seen)
    return version


async def registry_has_model(settings: Settings) -> bool:
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        return (
            await ModelRegistry(client, key_prefix=settings.redis_key_prefix).version(TAGGER_MODEL_NAME)
            is not None
        )
    finally:
        await client.aclose()
