"""Accuracy sanity check on a fixed 80/20 split of banking77, learned in one pass.

Measured on this split (2026-11-26): default model (naive Bayes + quadratic ridge) 0.8975 in file
order (the earlier naive Bayes + linear ridge blend: 0.8915); the thresholds leave room for float
noise, not for a regression.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from online_models import bootstrap_tagger, evaluate, read_labelled_csv
from tests.datasets import BANKING77

DATA = Path(
    os.environ.get(
        "HOTLINE_BOOTSTRAP_DATA",
        BANKING77,
    )
)
Rows = list[tuple[str, str]]


@pytest.fixture(scope="module")
def split() -> tuple[Rows, Rows]:
    if not DATA.is_file():
        pytest.skip(f"banking77 not found at {DATA}")
    rows = list(read_labelled_csv(DATA))
    held_out = set(random.Random(0).sample(range(len(rows)), len(rows) // 5))
    train = [r for i, r in enumerate(rows) if i not in held_out]  # file order: sorted by category
    test = [r for i, r in enumerate(rows) if i in held_out]
    return train, test


def test_one_pass_in_file_order_through_the_tagger(split: tuple[Rows, Rows]) -> None:
    train, test = split
    assert train[0][1] == train[1][1]  # the stream really is grouped by class
    tagger = bootstrap_tagger(train, "intent", min_seen=1, min_confidence=0.0)
    predictions = tagger.predict_many([text for text, _ in test])
    correct = sum(row[0].tag == label for row, (_, label) in zip(predictions, test, strict=True))
    assert correct / len(test) >= 0.89, correct / len(test)
    assert tagger.dimensions["intent"].n_seen == len(train)


def test_shuffled_stream_gives_the_same_model_quality(split: tuple[Rows, Rows]) -> None:
    train, test = split
    shuffled = train[:]
    random.Random(1).shuffle(shuffled)
    in_order = evaluate(train, test, prequential=False)
    reordered = evaluate(shuffled, test, prequential=True)
    assert in_order["accuracy"] == pytest.approx(reordered["accuracy"], abs=0.002)
    assert in_order["accuracy"] is not None and in_order["accuracy"] >= 0.89
    assert in_order["macro_f1"] is not None and in_order["macro_f1"] >= 0.88
    assert (
        in_order["n_labels"] == 77 and in_order["n_train"] == len(train) and in_order["n_test"] == len(test)
    )
    # Test-then-train on a shuffled stream starts from nothing, so it trails the hold-out score.
    prequential = reordered["prequential_accuracy"]
    assert prequential is not None and 0.6 < prequential < float(reordered["accuracy"] or 0)
