"""`hotline models eval`, `hotline bench models` and the bootstrap's label check, as a user runs them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BANKING77, hotline_cli
from tests.datasets import dataset_csv

EVAL_KEYS = {"accuracy", "macro_f1", "learn_per_s", "predict_per_s", "n_train", "n_test", "n_labels"}


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Every 4th banking77 row: 3 of 4 for training, 1 of 4 held out (all 77 intents in both)."""
    if not BANKING77.is_file():
        pytest.skip("banking77 not available")
    folder = tmp_path_factory.mktemp("split")
    with BANKING77.open(encoding="utf-8") as source:
        reader = csv.reader(source)
        header = next(reader)
        rows = [row for i, row in enumerate(reader) if i % 4 == 0]
    train, test = folder / "train.csv", folder / "test.csv"
    for path, part in ((train, [r for i, r in enumerate(rows) if i % 4]), (test, rows[::4])):
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(part)
    return train, test


def _hotline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        # secrets given, so the CLI never writes a local secrets file
        "HOTLINE_API_TOKEN": "test-token-0123456789",
        "HOTLINE_MODEL_SIGNING_KEY": "test-signing-key-0123456789",
        "HOTLINE_PII_HASH_KEY": "test-pii-key-0123456789",
        **(env or {}),
    }
    return hotline_cli(*args, env=environment)


def _last_json(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_eval_prints_one_json_line_with_every_figure(split: tuple[Path, Path]) -> None:
    train, test = split
    report = _last_json(
        _hotline("models", "eval", "--train", str(train), "--test", str(test), "--prequential")
    )
    assert set(report) >= EVAL_KEYS
    assert report["n_train"] == 1875 and report["n_test"] == 626 and report["n_labels"] == 77
    assert 0.7 < float(report["accuracy"]) <= 1.0  # 2,500 rows: less than the full data gives
    assert 0.0 < float(report["macro_f1"]) <= 1.0
    assert float(report["learn_per_s"]) > 0 and float(report["predict_per_s"]) > 0
    # the file is sorted by class, so test-then-train on it is mostly wrong: reported, not hidden
    assert float(report["prequential_accuracy"]) < 0.5


def test_eval_with_folds_and_custom_columns(split: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = split
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(train.read_text(encoding="utf-8").replace("text,category", "body,intent", 1), "utf-8")
    report = _last_json(
        _hotline(
            "models",
            "eval",
            "--train",
            str(renamed),
            "--folds",
            "3",
            "--text-col",
            "body",
            "--label-col",
            "intent",
            "--model",
            "light",
        )
    )
    assert (
        report["folds"] == 3
        and len(report["fold_accuracies"])  # type: ignore[arg-type]  # JSON values are typed object; a list
        == 3
    )
    assert report["n_test"] == 1875 and report["model"] == "light"
    assert 0.6 < float(report["accuracy"]) <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--train", "/nonexistent.csv", "--test", "/nonexistent.csv"], "not found"),
        (["--train", "{train}", "--test", "{test}", "--text-col", "body"], "missing column(s) ['body']"),
        (
            ["--train", "{train}"],
            "give --test FILE, --folds K, --group-col COL, --time-ordered or --prequential",
        ),
        (
            ["--train", "{train}", "--test", "{test}", "--time-ordered"],
            "give either --test or a validation split",
        ),
        (["--train", "{train}", "--group-col", "intent"], "missing group column 'intent'"),
    ],
)
def test_eval_errors_are_one_clear_line(split: tuple[Path, Path], args: list[str], message: str) -> None:
    train, test = split
    result = _hotline("models", "eval", *[a.format(train=train, test=test) for a in args])
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_eval_lists_the_model_configurations_and_refuses_others(split: tuple[Path, Path]) -> None:
    train, test = split
    result = _hotline("models", "eval", "--train", str(train), "--test", str(test), "--model", "huge")
    assert result.returncode == 2 and "Invalid value for '--model'" in result.stderr, result.stderr
    shown = _hotline("models", "eval", "--help", env={"COLUMNS": "200"}).stdout
    assert "<default|short|broad|light>" in shown, shown


def test_eval_grouped_with_the_river_baseline_on_the_same_split() -> None:
    report = _last_json(
        _hotline(
            "models",
            "eval",
            "--train",
            str(dataset_csv("unionpay95516")),
            "--label-col",
            "subject",
            "--group-col",
            "standard_question",
            "--folds",
            "3",
            "--baseline",
        )
    )
    baseline = report["baseline"]
    assert isinstance(baseline, dict)
    assert report["split"] == "grouped 3-fold" and report["folds"] == 3 and baseline["folds"] == 3
    assert report["n_test"] == baseline["n_test"] == 3097  # every question held out once, by both
    assert float(report["accuracy_over_baseline"]) == pytest.approx(
        float(report["accuracy"]) - float(baseline["accuracy"])
    )
    assert float(report["accuracy"]) > float(baseline["accuracy"])


def test_eval_time_ordered_holds_out_the_latest_fifth() -> None:
    report = _last_json(
        _hotline(
            "models",
            "eval",
            "--train",
            str(dataset_csv("cfpb_narratives")),
            "--label-col",
            "label",
            "--time-ordered",
            "--model",
            "light",
        )
    )
    assert report["split"].startswith("time-ordered") and (report["n_train"], report["n_test"]) == (980, 245)


def test_bench_models_reports_items_per_second_on_one_core(split: tuple[Path, Path]) -> None:
    train, _ = split
    report = _last_json(
        _hotline(
            "bench",
            "models",
            "--data",
            str(train),
            "--repeats",
            "1",
            env={"HOTLINE_CLASSIFY_BATCH_SIZE": "123"},
        )
    )
    assert report["one_core"] is True and report["n_labels"] == 77 and report["n_items"] == 1875
    for key in (
        "learn_per_s",
        "predict_per_s",
        "learn_per_cpu_s",
        "predict_per_cpu_s",
        "tagger_predict_per_s",
    ):
        assert float(report[key]) > 0, key  # type: ignore[arg-type]  # JSON values are typed object; floats
    assert report["tagger_dimensions"] == 5
    run = report["run"]  # what every bench prints beside its figures
    assert isinstance(run, dict) and len(str(run["commit"])) == 40 and isinstance(run["dirty"], bool)
    assert len(run["load_before"]) == len(run["load_after"]) == 3 and run["cpus"] >= 1
    assert run["settings_changed"]["HOTLINE_CLASSIFY_BATCH_SIZE"] == "123"
    assert not any("TOKEN" in name or "KEY" in name for name in run["settings_changed"])  # no secrets
    assert 1_000_000 < int(report["snapshot_bytes"]) < 50_000_000


def test_bootstrap_refuses_labels_outside_the_taxonomy(tmp_path: Path) -> None:
    data = tmp_path / "odd.csv"
    data.write_text(
        "text,category\nmy card is late,card_arrival\nwhere is my parcel,parcel_tracking\n", "utf-8"
    )
    result = _hotline("models", "bootstrap", str(data), env={"HOTLINE_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "1 label(s) are not tags of dimension 'banking77'" in result.stderr
    assert "'parcel_tracking'" in result.stderr
    unknown_dimension = _hotline("models", "bootstrap", str(data), "--dimension", "colour")
    assert unknown_dimension.returncode == 1 and "unknown dimension 'colour'" in unknown_dimension.stderr
