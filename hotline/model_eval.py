"""``hotline models eval``: one online pass over a training file, then a held-out file (or k folds).

Learns the training rows once, in file order, in the micro-batches the classify agent uses, then
predicts the test rows, and reports accuracy, macro-F1 and items/s. With ``folds`` instead of a
test file, the training file is split into k shuffled folds and each is held out once.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from online_models import (
    NaiveBayesTextClassifier,
    TextClassifier,
    default_text_classifier,
    evaluate,
    read_labelled_csv,
)
from online_models.featurizers import HashedNgrams

__all__ = ["ModelKind", "run_eval"]

ModelKind = Literal["default", "light"]
Rows = list[tuple[str, str]]


def _factory(model: ModelKind) -> Callable[[], TextClassifier]:
    if model == "default":
        return default_text_classifier
    return lambda: NaiveBayesTextClassifier(HashedNgrams(n_bits=18), fit_prior=False)


def _folds(rows: Rows, k: int, seed: int) -> list[tuple[Rows, Rows]]:
    """k (train, test) pairs; train rows keep their file order (as a stream would deliver them)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    pairs = []
    for fold in range(k):
        held = set(order[fold::k])
        pairs.append(
            ([r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held])
        )
    return pairs


def run_eval(
    train: Path,
    test: Path | None,
    *,
    text_col: str = "text",
    label_col: str = "category",
    prequential: bool = False,
    folds: int | None = None,
    seed: int = 0,
    model: ModelKind = "default",
    batch_size: int = 500,
) -> dict[str, object]:
    """The report ``hotline models eval`` prints (JSON-serialisable).

    Keys: accuracy, macro_f1, learn_per_s, predict_per_s, n_train, n_test, n_labels,
    mean_confidence (+ prequential_accuracy / prequential_macro_f1 with ``prequential``; with
    ``folds``: means over the folds, n_train per fold, n_test over all folds, plus
    fold_accuracies and folds).
    """
    if test is None and folds is None and not prequential:
        raise ValueError("give --test FILE, --folds K, or --prequential")
    if test is not None and folds is not None:
        raise ValueError("give either --test or --folds, not both")
    factory = _factory(model)
    train_rows = list(read_labelled_csv(train, text_col=text_col, label_col=label_col))
    if folds is None:
        test_rows = list(read_labelled_csv(test, text_col=text_col, label_col=label_col)) if test else []
        report: dict[str, object] = dict(
            evaluate(
                train_rows,
                test_rows,
                prequential=prequential,
                estimator_factory=factory,
                batch_size=batch_size,
            )
        )
    else:
        if not 2 <= folds <= len(train_rows):
            raise ValueError(f"--folds must be between 2 and the number of rows ({len(train_rows)})")
        reports = [
            evaluate(
                fold_train,
                fold_test,
                prequential=prequential,
                estimator_factory=factory,
                batch_size=batch_size,
            )
            for fold_train, fold_test in _folds(train_rows, folds, seed)
        ]
        report = {}
        for key in reports[0]:
            values = [r[key] for r in reports]
            numbers = [float(v) for v in values if v is not None]
            report[key] = statistics.fmean(numbers) if len(numbers) == len(values) else None
        report["n_labels"] = max(int(r["n_labels"] or 0) for r in reports)
        report["n_train"] = round(statistics.fmean(int(r["n_train"] or 0) for r in reports))
        report["n_test"] = sum(int(r["n_test"] or 0) for r in reports)  # each row held out once
        report["fold_accuracies"] = [r["accuracy"] for r in reports]
        report["folds"] = folds
    report["model"] = model
    return report
