"""Bootstrap a tagger from labelled CSV files and publish it, signed, to the model registry.

The tagger has every dimension of the taxonomy (with its keyword rules); each source's labels
are learned into one dimension. Before learning, a dimension's model configuration can be chosen
by an honest validation on the source itself (``online_models.model_selection``: grouped when
the file names a group column, by time when it is oldest first); the choice and its evidence go
into the tagger (``model_choices``) and the registry's metadata, so ``GET /api/v1/models`` shows
them. A bootstrap starts a new model lineage: it replaces whatever the registry held, and the
learner carries on from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from config.settings import Settings
from online_models import (
    Tagger,
    Taxonomy,
    UnknownLabelError,
    dumps_signed,
    learn_rows,
    lineage_name,
    load_taxonomy,
    read_group_column,
    read_labelled_csv,
    tagger_from_taxonomy,
)
from online_models.model_selection import MODEL_CONFIGURATIONS, model_factory, select_model
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["BootstrapSource", "bootstrap_model", "registry_has_model"]

log = logging.getLogger(__name__)

#: Below this many rows a validation says too little to choose a model configuration on.
MIN_SELECTION_ROWS = 100
#: Unknown labels listed in the error before "..." (a wrong file can have hundreds).
MAX_LISTED_LABELS = 10


@dataclass(frozen=True, slots=True)
class BootstrapSource:
    """One labelled column of a CSV file, learned into one taxonomy dimension.

    ``select`` validates the model configurations on this file first (``group_col``: folds keep
    each group on one side; ``time_ordered``: the file is oldest first, the latest 20% is held out).
    """

    path: Path
    dimension: str
    text_col: str = "text"
    label_col: str = "category"
    select: bool = False
    group_col: str | None = None
    time_ordered: bool = False


def _checked(rows: Iterator[tuple[str, str]], taxonomy: Taxonomy, dimension: str) -> list[tuple[str, str]]:
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
    return materialised


def _learn_source(tagger: Tagger, taxonomy: Taxonomy, source: BootstrapSource) -> dict[str, Any]:
    """Choose the dimension's model (when asked), learn the source; what was chosen and learned."""
    rows = _checked(
        read_labelled_csv(source.path, text_col=source.text_col, label_col=source.label_col),
        taxonomy,
        source.dimension,
    )
    own = taxonomy.dimension(source.dimension).model  # "default" or "light"
    if source.select and len(rows) < MIN_SELECTION_ROWS:
        choice = {"chosen": own, "reason": f"too few rows to validate ({len(rows)} < {MIN_SELECTION_ROWS})"}
    elif source.select:
        groups = read_group_column(source.path, source.group_col) if source.group_col else None
        candidates = [own, *[name for name in MODEL_CONFIGURATIONS if name != own]]
        choice = select_model(
            rows,
            groups=groups,
            time_ordered=source.time_ordered,
            candidates=candidates,
        ).to_dict()
    else:
        choice = {
            "chosen": own,
            "reason": "the taxonomy's model kind (no selection run)",
            "n_rows": len(rows),
        }
    choice["source"] = str(source.path)
    choice["n_rows"] = len(rows)
    tagger.set_model(source.dimension, model_factory(choice["chosen"])(), choice)
    started = time.perf_counter()
    log.info(
        "learning dimension %r from %s (%d rows, model %s) ...",
        source.dimension,
        source.path,
        len(rows),
        choice["chosen"],
    )
    n_seen = learn_rows(tagger, rows, source.dimension)
    log.info("learned %d rows of %r in %.1f s", n_seen, source.dimension, time.perf_counter() - started)
    return {"dimension": source.dimension, "labels": n_seen, **choice}


async def bootstrap_model(
    settings: Settings, sources: Sequence[BootstrapSource]
) -> tuple[str, list[dict[str, Any]]]:
    """Learn every source in one pass each and save the signed snapshot; returns the registry
    version and, per source, the model configuration chosen and why."""
    if settings.model_signing_key is None:
        raise ValueError("HOTLINE_MODEL_SIGNING_KEY is not set: a model cannot be signed")
    if not sources:
        raise ValueError("nothing to bootstrap from: give at least one labelled file")
    taxonomy = load_taxonomy(settings.taxonomy_path)
    for source in sources:
        try:
            taxonomy.dimension(source.dimension)
        except UnknownLabelError as exc:
            raise ValueError(f"{exc} (taxonomy: {settings.taxonomy_path})") from None
    dimensions = [s.dimension for s in sources]
    if len(set(dimensions)) != len(dimensions):
        raise ValueError(f"each dimension can be bootstrapped from one source only, got {dimensions}")
    tagger = tagger_from_taxonomy(taxonomy, name=lineage_name())
    reports = [_learn_source(tagger, taxonomy, source) for source in sources]
    blob = dumps_signed(tagger, settings.model_signing_key.get_secret_value().encode())
    version = tagger.version
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        await ModelRegistry(client, key_prefix=settings.redis_key_prefix).save(
            TAGGER_MODEL_NAME,
            version=version,
            blob=blob,
            source="bootstrap",
            extra={"model_choices": tagger.model_choices},
        )
    finally:
        await client.aclose()
    log.info("published model %s (%d bytes, %d labels)", version, len(blob), tagger.n_updates)
    return version, reports


async def registry_has_model(settings: Settings) -> bool:
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        return (
            await ModelRegistry(client, key_prefix=settings.redis_key_prefix).version(TAGGER_MODEL_NAME)
            is not None
        )
    finally:
        await client.aclose()
