"""Bootstrap a tagger from a labelled CSV and publish it, signed, to the model registry.

The tagger has every dimension of the taxonomy (with its keyword rules); the CSV's labels are
learned into one of them. A bootstrap starts a new model lineage: it replaces whatever the
registry held, and the learner carries on from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import redis.asyncio as aioredis

from hotline.settings import Settings
from online_models import (
    Taxonomy,
    UnknownLabelError,
    dumps_signed,
    learn_rows,
    lineage_name,
    load_taxonomy,
    read_labelled_csv,
    tagger_from_taxonomy,
)
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["bootstrap_model", "registry_has_model"]

log = logging.getLogger(__name__)

#: Unknown labels listed in the error before "..." (a wrong file can have hundreds).
MAX_LISTED_LABELS = 10


def _checked(
    rows: Iterator[tuple[str, str]], taxonomy: Taxonomy, dimension: str
) -> Iterator[tuple[str, str]]:
    """The rows, after checking every label against the taxonomy (all of them, then one error)."""
    materialised = list(rows)
    unknown: list[str] = []
    for label in dict.fromkeys(label for _, label in materialised):
        try:
            taxonomy.check_label(dimension, label)
        except UnknownLabelError:
            unknown.append(label)
    if unknown:
        listed = ", ".join(repr(label) for label in unknown[:MAX_LISTED_LABELS])
        more = f" and {len(unknown) - MAX_LISTED_LABELS} more" if len(unknown) > MAX_LISTED_LABELS else ""
        raise ValueError(
            f"{len(unknown)} label(s) are not tags of dimension {dimension!r} in the taxonomy:"
            f" {listed}{more}. Add them to the taxonomy, or set `open: true` on the dimension"
        )
    return iter(materialised)


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
    taxonomy = load_taxonomy(settings.taxonomy_path)
    try:
        taxonomy.dimension(dimension)
    except UnknownLabelError as exc:
        raise ValueError(f"{exc} (taxonomy: {settings.taxonomy_path})") from None
    rows = _checked(read_labelled_csv(path, text_col=text_col, label_col=label_col), taxonomy, dimension)
    started = time.perf_counter()
    log.info("learning dimension %r from %s ...", dimension, path)
    tagger = tagger_from_taxonomy(taxonomy, name=lineage_name())
    n_seen = learn_rows(tagger, rows, dimension)
    log.info("learned %d rows in %.1f s", n_seen, time.perf_counter() - started)
    blob = dumps_signed(tagger, settings.model_signing_key.get_secret_value().encode())
    version = tagger.version
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        await ModelRegistry(client, key_prefix=settings.redis_key_prefix).save(
            TAGGER_MODEL_NAME, version=version, blob=blob, source="bootstrap"
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
