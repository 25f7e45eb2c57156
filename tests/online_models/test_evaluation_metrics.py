"""evaluate() and measure_throughput(): the figures `hotline models eval` and `hotline bench` print."""

from __future__ import annotations

import json

import pytest

from online_models import accuracy_and_macro_f1, evaluate, measure_throughput

ROWS = [
    ("card stolen", "theft"),
    ("my card was stolen", "theft"),
    ("信用卡被盗", "theft"),
    ("atm ate my card", "atm"),
    ("the atm kept my card", "atm"),
    ("取款机吞卡", "atm"),
] * 5


def test_macro_f1_counts_labels_that_are_only_predicted() -> None:
    accuracy, macro_f1 = accuracy_and_macro_f1(["a", "a"], ["a", "b"])
    assert accuracy == 0.5
    assert macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)
    assert accuracy_and_macro_f1(["a", "b"], ["a", "b"]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        accuracy_and_macro_f1(["a"], [])


def test_evaluate_reports_every_field_as_json() -> None:
    report = evaluate(ROWS, [("stolen card", "theft"), ("取款机", "atm")], prequential=False, batch_size=4)
    assert set(report) == {
        "accuracy",
        "macro_f1",
        "learn_per_s",
        "predict_per_s",
        "learn_per_cpu_s",
        "predict_per_cpu_s",
        "n_train",
        "n_test",
        "n_labels",
        "mean_confidence",
    }
    assert (report["accuracy"], report["n_train"], report["n_test"], report["n_labels"]) == (1.0, 30, 2, 2)
    assert report["learn_per_s"] and report["learn_per_s"] > 0
    assert report["predict_per_cpu_s"] and report["predict_per_cpu_s"] > 0
    json.dumps(report)


def test_prequential_without_hold_out_scores_the_stream() -> None:
    report = evaluate(ROWS, [], prequential=True, batch_size=6)
    assert report["accuracy"] == report["prequential_accuracy"]
    # The first batch is predicted by an empty model, so it cannot all be right.
    assert report["prequential_accuracy"] is not None and 0.5 < report["prequential_accuracy"] < 1.0
    assert evaluate(ROWS, [], prequential=False)["accuracy"] is None


def test_measure_throughput_counts_items() -> None:
    result = measure_throughput([t for t, _ in ROWS], [y for _, y in ROWS], batch_size=7, repeats=2)
    assert result["n_items"] == len(ROWS) and result["batch_size"] == 7
    assert result["learn_per_s"] > 0 and result["predict_per_s"] > 0
    with pytest.raises(ValueError):
        measure_throughput([], [])
