"""Accuracy sanity check on a fixed 80/20 split of banking77, learned in file order (one pass)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from online_models import bootstrap_tagger, read_labelled_csv

DATA = Path(
    os.environ.get(
        "HOTLINE_BOOTSTRAP_DATA",
        Path(__file__).resolve().parents[3] / "shared" / "datasets" / "banking77" / "train.csv",
    )
)


@pytest.fixture(scope="module")
def split() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if not DATA.is_file():
        pytest.skip(f"banking77 not found at {DATA}")
    rows = list(read_labelled_csv(DATA))
    held_out = set(random.Random(0).sample(range(len(rows)), len(rows) // 5))
    train = [r for i, r in enumerate(rows) if i not in held_out]  # file order: sorted by category
    test = [r for i, r in enumerate(rows) if i in held_out]
    return train, test


def test_one_pass_in_file_order_reaches_085_on_held_out(
    split: tuple[list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    train, test = split
    tagger = bootstrap_tagger(train, "intent", min_seen=1, min_confidence=0.0)
    predictions = tagger.predict_many([text for text, _ in test])
    correct = sum(row[0].tag == label for row, (_, label) in zip(predictions, test, strict=True))
    accuracy = correct / len(test)
    assert accuracy >= 0.85, accuracy
    assert tagger.dimensions["intent"].n_seen == len(train)
