"""``hotline models eval``: one online pass over a training file, then a held-out file (or folds).

Learns the training rows once, in file order, in the micro-batches the classify agent uses, then
predicts the test rows, and reports accuracy, macro-F1 and items/s. Without a test file the
training file is split honestly: by group (``group_col``: paraphrases of one question stay on one
side), by time (``time_ordered``: the latest 20% held out), or in shuffled folds. With
``baseline`` River's ``BagOfWords | MultinomialNB`` runs on the very same splits and its figures
are reported beside the model's.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from online_models import evaluate, read_group_column, read_labelled_csv
from online_models.model_selection import model_factory
from online_models.river_baseline import RiverBaseline
from online_models.validation_splits import honest_splits

__all__ = ["run_eval"]

Rows = list[tuple[str, str]]
Split = tuple[Rows, Rows]


def _splits(
    train_rows: Rows,
    test_rows: Rows | None,
    groups: Sequence[str] | None,
    time_ordered: bool,
    folds: int | None,
    seed: int,
) -> tuple[str, list[Split]]:
    if test_rows is not None:
        return "train file, then test file", [(train_rows, test_rows)]
    if folds is None and groups is None and not time_ordered:
        return "prequential only", [(train_rows, [])]
    return honest_splits(train_rows, groups=groups, time_ordered=time_ordered, folds=folds or 5, seed=seed)


def _summarise(reports: list[dict[str, float | int | None]]) -> dict[str, object]:
    if len(reports) == 1:
        return dict(reports[0])
    out: dict[str, object] = {}
    for key in reports[0]:
        values = [r[key] for r in reports]
        numbers = [float(v) for v in values if v is not None]
        out[key] = statistics.fmean(numbers) if len(numbers) == len(values) else None
    out["n_labels"] = max(int(r["n_labels"] or 0) for r in reports)
    out["n_train"] = round(statistics.fmean(int(r["n_train"] or 0) for r in reports))
    out["n_test"] = sum(int(r["n_test"] or 0) for r in reports)  # each row held out once
    out["fold_accuracies"] = [r["accuracy"] for r in reports]
    out["folds"] = len(reports)
    return out


def run_eval(
    train: Path,
    test: Path | None,
    *,
    text_col: str = "text",
    label_col: str = "category",
    prequential: bool = False,
    folds: int | None = None,
    group_col: str | None = None,
    time_ordered: bool = False,
    seed: int = 0,
    model: str = "default",
    baseline: bool = False,
    batch_size: int = 500,
) -> dict[str, object]:
    """The report ``hotline models eval`` prints (JSON-serialisable).

    Keys: accuracy, macro_f1, learn_per_s, predict_per_s, n_train, n_test, n_labels,
    mean_confidence, split, model (+ prequential_accuracy / prequential_macro_f1 with
    ``prequential``; over several folds: means, n_train per fold, n_test over all folds,
    fold_accuracies and folds; with ``baseline``: ``baseline`` holding River's figures on the
    same splits and ``accuracy_over_baseline``).
    """
    if test is not None and (folds is not None or group_col or time_ordered):
        raise ValueError("give either --test or a validation split (--folds, --group-col, --time-ordered)")
    if group_col and time_ordered:
        raise ValueError("give --group-col or --time-ordered, not both")
    if test is None and folds is None and not prequential and not group_col and not time_ordered:
        raise ValueError("give --test FILE, --folds K, --group-col COL, --time-ordered or --prequential")
    factory = model_factory(model)
    train_rows = list(read_labelled_csv(train, text_col=text_col, label_col=label_col))
    test_rows = list(read_labelled_csv(test, text_col=text_col, label_col=label_col)) if test else None
    groups = read_group_column(train, group_col) if group_col else None
    description, splits = _splits(train_rows, test_rows, groups, time_ordered, folds, seed)

    def run(make: object) -> dict[str, object]:
        return _summarise(
            [
                evaluate(
                    a,
                    b,
                    prequential=prequential,
                    estimator_factory=make,  # type: ignore[arg-type]  # callers pass TextClassifier factories
                    batch_size=batch_size,
                )
                for a, b in splits
            ]
        )

    report = run(factory)
    report["split"] = description
    report["model"] = model
    if baseline:
        river = run(RiverBaseline)
        report["baseline"] = {"model": "river BagOfWords | MultinomialNB", **river}
        if report.get("accuracy") is not None and river.get("accuracy") is not None:
            report["accuracy_over_baseline"] = (
                float(report["accuracy"])  # type: ignore[arg-type]  # report values are typed object; a float
                - float(river["accuracy"])  # type: ignore[arg-type]  # river values are typed object; a float
            )
    return report
