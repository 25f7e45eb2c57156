"""Accuracy and throughput of a text classifier learned in one ordered pass.

``evaluate`` is what ``hotline models eval`` reports; ``measure_throughput`` is what
``hotline bench`` calls. Both use the micro-batches the classify agent uses, and time the
library calls only (no I/O). For a one-core figure, start the process with
``OPENBLAS_NUM_THREADS=1`` (BLAS reads it when numpy is first imported). Rates come twice:
``*_per_s`` by the wall clock, and ``*_per_cpu_s`` by the process's CPU time, which on a busy,
shared machine is the better estimate of what one dedicated core does (with one BLAS thread the
work is single-threaded, so CPU seconds are core seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from online_models.blended_text_classifier import default_text_classifier
from online_models.tagger import TextClassifier

__all__ = ["accuracy_and_macro_f1", "evaluate", "measure_throughput"]

DEFAULT_BATCH_SIZE = 500


class _Stopwatch:
    """Wall-clock and CPU seconds of the timed sections."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._started = (0.0, 0.0)

    def __enter__(self) -> _Stopwatch:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]


def _rate(n: int, seconds: float) -> float | None:
    return n / seconds if seconds > 0 else None


def _warm_up(model: TextClassifier, text: str) -> None:
    """Untimed: let the model derive its prediction weights once (as a loaded snapshot has)."""
    warm_up = getattr(model, "warm_up", None)
    if warm_up is not None:
        warm_up()
    model.predict_many([text])


def accuracy_and_macro_f1(truth: Sequence[str], predicted: Sequence[str | None]) -> tuple[float, float]:
    """Accuracy, and F1 averaged over every label that is true or predicted somewhere.

    Examples
    --------
    >>> accuracy_and_macro_f1(["a", "a", "b", "c"], ["a", "b", "b", None])
    (0.5, 0.4444444444444444)
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted differ in length")
    if not truth:
        return 0.0, 0.0
    labels = set(truth) | {p for p in predicted if p is not None}
    true_pos = dict.fromkeys(labels, 0)
    n_true = dict.fromkeys(labels, 0)
    n_pred = dict.fromkeys(labels, 0)
    for t, p in zip(truth, predicted, strict=True):
        n_true[t] += 1
        if p is not None:
            n_pred[p] += 1
            if p == t:
                true_pos[t] += 1
    f1s = [2 * true_pos[label] / (n_true[label] + n_pred[label]) for label in labels]
    correct = sum(true_pos.values())
    return correct / len(truth), sum(f1s) / len(f1s)


def _batches(rows: Sequence[tuple[str, str]], size: int) -> Iterable[tuple[list[str], list[str]]]:
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        yield [text for text, _ in chunk], [label for _, label in chunk]


def evaluate(
    train_rows: Iterable[tuple[str, str]],
    test_rows: Iterable[tuple[str, str]],
    *,
    prequential: bool,
    estimator_factory: Callable[[], TextClassifier] = default_text_classifier,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[str, float | int | None]:
    """Learn ``train_rows`` once, in order, in micro-batches; then score ``test_rows``.

    With ``prequential=True`` each training batch is first predicted, then learned
    (test-then-train), and ``prequential_accuracy`` / ``prequential_macro_f1`` are added. The
    hold-out ``accuracy`` / ``macro_f1`` come from ``test_rows``; when that is empty they repeat
    the prequential figures (or are None without prequential).

    Returns accuracy, macro_f1, learn_per_s, predict_per_s, n_train, n_test, n_labels (classes
    the model learned) and mean_confidence (on the hold-out rows). Hold-out prediction is timed
    after one untimed warm-up call (a model refreshes its derived weights once after learning,
    as a snapshot does before it is shipped); prequential predictions are timed as they come,
    refreshes included, because that is what a stream that interleaves both pays.

    Examples
    --------
    >>> rows = [("card stolen", "theft"), ("atm ate card", "atm")] * 20
    >>> report = evaluate(rows, [("stolen card", "theft")], prequential=True, batch_size=8)
    >>> report["accuracy"], report["n_train"], report["n_labels"], report["prequential_accuracy"] > 0.5
    (1.0, 40, 2, True)
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    train, test = list(train_rows), list(test_rows)
    model = estimator_factory()
    learn_s, predict_s = _Stopwatch(), _Stopwatch()
    n_predicted = 0
    stream_truth: list[str] = []
    stream_pred: list[str | None] = []
    for texts, labels in _batches(train, batch_size):
        if prequential:
            with predict_s:
                guesses = model.predict_many(texts)
            n_predicted += len(texts)
            stream_truth.extend(labels)
            stream_pred.extend(label for label, _ in guesses)
        with learn_s:
            model.learn_many(texts, labels)

    test_truth: list[str] = []
    test_pred: list[str | None] = []
    confidences: list[float] = []
    if test:
        _warm_up(model, test[0][0])
    for texts, labels in _batches(test, batch_size):
        with predict_s:
            guesses = model.predict_many(texts)
        n_predicted += len(texts)
        test_truth.extend(labels)
        test_pred.extend(label for label, _ in guesses)
        confidences.extend(conf for _, conf in guesses)

    report: dict[str, float | int | None] = {
        "accuracy": None,
        "macro_f1": None,
        "learn_per_s": _rate(len(train), learn_s.wall),
        "predict_per_s": _rate(n_predicted, predict_s.wall),
        "learn_per_cpu_s": _rate(len(train), learn_s.cpu),
        "predict_per_cpu_s": _rate(n_predicted, predict_s.cpu),
        "n_train": len(train),
        "n_test": len(test),
        "n_labels": len(model.classes),
        "mean_confidence": sum(confidences) / len(confidences) if confidences else None,
    }
    if prequential:
        pre_acc, pre_f1 = accuracy_and_macro_f1(stream_truth, stream_pred)
        report["prequential_accuracy"], report["prequential_macro_f1"] = pre_acc, pre_f1
        report["accuracy"], report["macro_f1"] = pre_acc, pre_f1
    if test:
        report["accuracy"], report["macro_f1"] = accuracy_and_macro_f1(test_truth, test_pred)
    return report


def measure_throughput(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    estimator_factory: Callable[[], TextClassifier] = default_text_classifier,
    batch_size: int = DEFAULT_BATCH_SIZE,
    repeats: int = 3,
) -> dict[str, float | int]:
    """Items per second of ``learn_many`` and ``predict_many`` on micro-batches.

    Learning: a fresh model learns all texts once, in order (best of ``repeats`` runs).
    Predicting: the trained model predicts all texts (best of ``repeats`` runs) after one
    warm-up call, which is where a model refreshes what it derives from its statistics, as a
    classify agent's freshly loaded snapshot has already done.

    Examples
    --------
    >>> result = measure_throughput(["card stolen", "atm ate card"] * 10, ["theft", "atm"] * 10,
    ...                             batch_size=5, repeats=1)
    >>> sorted(result)
    ['batch_size', 'learn_per_cpu_s', 'learn_per_s', 'n_items', 'predict_per_cpu_s', 'predict_per_s']
    """
    if len(texts) != len(labels) or not texts:
        raise ValueError("need the same, non-zero number of texts and labels")
    if batch_size < 1 or repeats < 1:
        raise ValueError("batch_size and repeats must be >= 1")
    rows = list(zip(texts, labels, strict=True))
    learn_runs: list[_Stopwatch] = []
    predict_runs: list[_Stopwatch] = []
    model = estimator_factory()
    for _ in range(repeats):
        model = estimator_factory()
        with _Stopwatch() as watch:
            for batch_texts, batch_labels in _batches(rows, batch_size):
                model.learn_many(batch_texts, batch_labels)
        learn_runs.append(watch)
    _warm_up(model, texts[0])
    for _ in range(repeats):
        with _Stopwatch() as watch:
            for batch_texts, _ in _batches(rows, batch_size):
                model.predict_many(batch_texts)
        predict_runs.append(watch)
    return {
        "n_items": len(texts),
        "batch_size": batch_size,
        "learn_per_s": len(texts) / min(w.wall for w in learn_runs),
        "predict_per_s": len(texts) / min(w.wall for w in predict_runs),
        "learn_per_cpu_s": len(texts) / min(w.cpu for w in learn_runs),
        "predict_per_cpu_s": len(texts) / min(w.cpu for w in predict_runs),
    }
