"""Labelling the review queue first (least sure, by margin) teaches the model faster than
labelling random complaints: the accuracy on the complaints still to come rises sooner.

Simulated on the training files: a model bootstrapped from a small seed sees a pool of
unlabelled complaints; each round a reviewer labels 40 of them, either the 40 the queue lists
first (lowest margin, as ``GET /api/v1/review`` sorts) or 40 at random; the model learns them
(the learner's path) and is scored on held-out complaints it never learns from (for UnionPay,
held-out FAQ questions: the groups are split, not the rows).
"""

from __future__ import annotations

import csv
import random

import pytest

from online_models import Tagger, default_text_classifier
from online_models.validation_splits import grouped_folds, time_ordered_split
from tests.datasets import dataset_csv

ROUNDS, PER_ROUND, SEED_SIZE = 6, 40, 150
#: Seeds, pools and random picks drawn this many times: one draw of random labels varies a lot.
DRAWS = 3


def _rows(name: str, label_col: str, group_col: str | None) -> list[tuple[str, str, str]]:
    path = dataset_csv(name)
    with path.open(encoding="utf-8") as handle:
        return [
            (r["text"], r[label_col], r[group_col] if group_col else str(i))
            for i, r in enumerate(csv.DictReader(handle))
        ]


def _accuracy(tagger: Tagger, rows: list[tuple[str, str, str]]) -> float:
    results = tagger.predict_many([text for text, _, _ in rows])
    return sum(
        bool(tags) and tags[0].tag == label for tags, (_, label, _) in zip(results, rows, strict=True)
    ) / len(rows)


def _learning_curve(
    rows: list[tuple[str, str, str]], strategy: str, draw: int, time_ordered: bool
) -> list[float]:
    rng = random.Random(draw)
    if time_ordered:
        pool, held_out = time_ordered_split(rows, 0.2)
    else:
        pool, held_out = grouped_folds(rows, [g for _, _, g in rows], 4, seed=draw)[0]
    rng.shuffle(pool)
    seed, pool = pool[:SEED_SIZE], pool[SEED_SIZE:]
    tagger = Tagger({"d": default_text_classifier()}, min_seen=0, memory_size=0)
    tagger.learn_many([t for t, _, _ in seed], "d", [y for _, y, _ in seed])
    curve = [_accuracy(tagger, held_out)]
    for _ in range(ROUNDS):
        if strategy == "queue":
            results = tagger.predict_many([t for t, _, _ in pool])
            margins = [tags[0].margin if tags and tags[0].margin is not None else 1.0 for tags in results]
            order = sorted(range(len(pool)), key=margins.__getitem__)
        else:
            order = rng.sample(range(len(pool)), len(pool))
        picked = set(order[:PER_ROUND])
        labelled = [pool[i] for i in sorted(picked)]
        pool = [row for i, row in enumerate(pool) if i not in picked]
        tagger.learn_many([t for t, _, _ in labelled], "d", [y for _, y, _ in labelled])
        curve.append(_accuracy(tagger, held_out))
    return curve


@pytest.mark.parametrize(
    ("name", "label_col", "group_col", "time_ordered"),
    [
        ("unionpay95516", "subject", "standard_question", False),
        ("cfpb_narratives", "label", None, True),
        ("banking77", "category", None, False),
    ],
)
def test_queue_labels_raise_accuracy_faster_than_random_labels(
    name: str, label_col: str, group_col: str | None, time_ordered: bool
) -> None:
    rows = _rows(name, label_col, group_col)
    gains = []
    for draw in range(DRAWS):
        queue = _learning_curve(rows, "queue", draw, time_ordered)
        random_curve = _learning_curve(rows, "random", draw, time_ordered)
        assert queue[0] == random_curve[0]  # the same seed model
        # Area under the learning curve (the rounds after the seed): queue minus random.
        gains.append(sum(queue[1:]) - sum(random_curve[1:]))
    assert sum(gains) / DRAWS > 0, gains
