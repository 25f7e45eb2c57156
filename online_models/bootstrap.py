"""Bootstrap a tagger from a labelled CSV file, streaming each row through ``learn`` once."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from online_models.blended_text_classifier import default_text_classifier
from online_models.tagger import Tagger, TextClassifier

__all__ = ["bootstrap_tagger", "learn_rows", "read_group_column", "read_labelled_csv"]

logger = logging.getLogger(__name__)


def read_labelled_csv(
    path: str | Path, text_col: str = "text", label_col: str = "category"
) -> Iterator[tuple[str, str]]:
    """``(text, label)`` rows of a CSV file with a header, in file order.

    The file and header are checked when this is called, so a wrong path or column fails at
    once; a row with an empty text or label raises ``ValueError`` naming the row (data rows
    count from 1 after the header; blank lines are skipped).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled CSV not found: {path}")
    handle = path.open(newline="", encoding="utf-8-sig")
    try:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: empty file, expected a header with {text_col!r} and {label_col!r}")
        missing = [c for c in (text_col, label_col) if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; the header has {header}")
    except BaseException:
        handle.close()
        raise
    return _rows(handle, reader, path, header.index(text_col), header.index(label_col))


def read_group_column(path: str | Path, group_col: str) -> list[str]:
    """The ``group_col`` value of every data row of ``path``, aligned with ``read_labelled_csv``."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None) or []
        if group_col not in header:
            raise ValueError(f"{path}: missing group column {group_col!r}; the header has {header}")
        index = header.index(group_col)
        return [row[index].strip() if index < len(row) else "" for row in reader if row]


def _rows(
    handle: TextIO, reader: Iterator[list[str]], path: Path, text_i: int, label_i: int
) -> Iterator[tuple[str, str]]:
    with handle:
        for number, row in enumerate(reader, start=1):
            if not row:
                continue
            text = row[text_i].strip() if text_i < len(row) else ""
            label = row[label_i].strip() if label_i < len(row) else ""
            if not text or not label:
                which = "text" if not text else "label"
                raise ValueError(f"{path}: data row {number} has an empty {which}")
            yield text, label


def learn_rows(
    tagger: Tagger, rows: Iterable[tuple[str, str]], dimension: str, *, batch_size: int = 500
) -> int:
    """Stream ``(text, tag)`` rows into one dimension of ``tagger``, once each, in micro-batches.

    Returns the number of rows learned.

    Examples
    --------
    >>> tagger = bootstrap_tagger([], "reason")
    >>> learn_rows(tagger, [("card stolen", "theft"), ("atm ate my card", "atm")], "reason")
    2
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    learned = 0
    texts: list[str] = []
    labels: list[str] = []
    for text, label in rows:
        texts.append(text)
        labels.append(label)
        if len(texts) >= batch_size:
            tagger.learn_many(texts, dimension, labels)
            learned += len(texts)
            texts, labels = [], []
    if texts:
        tagger.learn_many(texts, dimension, labels)
        learned += len(texts)
    return learned


def bootstrap_tagger(
    rows: Iterable[tuple[str, str]],
    dimension: str,
    *,
    estimator_factory: Callable[[], TextClassifier] = default_text_classifier,
    keywords: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    batch_size: int = 500,
    **tagger_options: Any,
) -> Tagger:
    """A tagger with one dimension learned from ``rows`` in one ordered pass.

    ``estimator_factory`` builds the dimension's model (default: ``default_text_classifier``);
    other keyword arguments go to ``Tagger``.

    Examples
    --------
    >>> tagger = bootstrap_tagger([("card stolen", "theft"), ("atm ate my card", "atm")], "reason")
    >>> tagger.dimensions["reason"].n_seen, tagger.version
    (2, 'tagger-2')
    """
    tagger = Tagger({dimension: estimator_factory()}, keywords=keywords, **tagger_options)
    learned = learn_rows(tagger, rows, dimension, batch_size=batch_size)
    logger.info("bootstrapped dimension %s from %d labels", dimension, learned)
    return tagger
