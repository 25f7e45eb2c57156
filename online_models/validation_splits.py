"""Honest train/test splits of a labelled file: by group, by time, or shuffled rows.

A row split of paraphrases (several wordings of one FAQ question) puts near-copies of every
test text in the training part and flatters every model; a shuffle of time-ordered complaints
lets a model learn from the future. So: ``grouped_folds`` keeps each group on one side,
``time_ordered_split`` holds out the latest rows, and ``shuffled_folds`` is for files that are
neither. Training rows always keep their file order, as a stream would deliver them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["grouped_folds", "honest_splits", "shuffled_folds", "time_ordered_split"]

Row = TypeVar("Row")


def _split_by(rows: Sequence[Row], fold_of: Sequence[int], k: int) -> list[tuple[list[Row], list[Row]]]:
    return [
        (
            [r for r, f in zip(rows, fold_of, strict=True) if f != fold],
            [r for r, f in zip(rows, fold_of, strict=True) if f == fold],
        )
        for fold in range(k)
    ]


def shuffled_folds(rows: Sequence[Row], k: int, seed: int = 0) -> list[tuple[list[Row], list[Row]]]:
    """k (train, test) pairs from a seeded shuffle of the rows; each row is held out once.

    Examples
    --------
    >>> [(len(a), len(b)) for a, b in shuffled_folds(list(range(10)), 3)]
    [(6, 4), (7, 3), (7, 3)]
    """
    if not 2 <= k <= len(rows):
        raise ValueError(f"folds must be between 2 and the number of rows ({len(rows)})")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    fold_of = [0] * len(rows)
    for position, index in enumerate(order):
        fold_of[index] = position % k
    return _split_by(rows, fold_of, k)


def grouped_folds(
    rows: Sequence[Row], groups: Sequence[str], k: int, seed: int = 0
) -> list[tuple[list[Row], list[Row]]]:
    """k (train, test) pairs in which every group lies wholly on one side (groups shuffled, dealt
    round-robin to the folds).

    Examples
    --------
    >>> rows = ["a1", "a2", "b1", "c1", "c2", "d1"]
    >>> folds = grouped_folds(rows, [r[0] for r in rows], 2)
    >>> all({r[0] for r in train}.isdisjoint({r[0] for r in test}) for train, test in folds)
    True
    """
    if len(groups) != len(rows):
        raise ValueError(f"got {len(groups)} groups for {len(rows)} rows")
    distinct = sorted(set(groups))
    if not 2 <= k <= len(distinct):
        raise ValueError(f"folds must be between 2 and the number of groups ({len(distinct)})")
    random.Random(seed).shuffle(distinct)
    fold_of_group = {group: i % k for i, group in enumerate(distinct)}
    return _split_by(rows, [fold_of_group[g] for g in groups], k)


def time_ordered_split(rows: Sequence[Row], holdout: float = 0.2) -> tuple[list[Row], list[Row]]:
    """(oldest rows, latest ``holdout`` share) of rows in time order.

    Examples
    --------
    >>> time_ordered_split(list(range(10)))
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0 < holdout < 1:
        raise ValueError("holdout must be between 0 and 1")
    cut = round(len(rows) * (1 - holdout))
    if not 0 < cut < len(rows):
        raise ValueError(f"{len(rows)} rows are too few to hold out {holdout:.0%}")
    return list(rows[:cut]), list(rows[cut:])


def honest_splits(
    rows: Sequence[Row],
    *,
    groups: Sequence[str] | None = None,
    time_ordered: bool = False,
    folds: int = 5,
    seed: int = 0,
) -> tuple[str, list[tuple[list[Row], list[Row]]]]:
    """The split a file asks for, with its description: the latest 20% when ``time_ordered``,
    grouped folds when ``groups`` are given, else shuffled folds.

    Examples
    --------
    >>> honest_splits(list(range(10)), time_ordered=True)[0]
    'time-ordered: oldest 80% learned, latest 20% tested'
    >>> description, splits = honest_splits(list("aabbcc"), groups=list("aabbcc"), folds=3)
    >>> description, len(splits)
    ('grouped 3-fold', 3)
    """
    if time_ordered:
        return "time-ordered: oldest 80% learned, latest 20% tested", [time_ordered_split(rows, 0.2)]
    if groups is not None:
        return f"grouped {folds}-fold", grouped_folds(rows, groups, folds, seed)
    return f"shuffled {folds}-fold", shuffled_folds(rows, folds, seed)
