"""Reading labelled CSV files and bootstrapping a tagger from them in one ordered pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from online_models import bootstrap_tagger, read_labelled_csv


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def test_rows_come_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", '\ufefftext,category\n"hello, world",greet\n\n信用卡被盗,theft\n')
    assert list(read_labelled_csv(path)) == [("hello, world", "greet"), ("信用卡被盗", "theft")]


def test_custom_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "id,body,tag\n1,card lost,lost\n")
    assert list(read_labelled_csv(path, text_col="body", label_col="tag")) == [("card lost", "lost")]


def test_missing_file_fails_at_call_time(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        read_labelled_csv(tmp_path / "missing.csv")


def test_missing_column_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "text,label\nx,y\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['category'\]"):
        read_labelled_csv(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty file"):
        read_labelled_csv(write(tmp_path / "a.csv", ""))


@pytest.mark.parametrize(("row", "which"), [(" ,lost", "text"), ("card lost,", "label"), ("only", "label")])
def test_empty_values_name_the_row(tmp_path: Path, row: str, which: str) -> None:
    path = write(tmp_path / "a.csv", f"text,category\nfine,ok\n{row}\n")
    rows = read_labelled_csv(path)
    assert next(rows) == ("fine", "ok")
    with pytest.raises(ValueError, match=f"data row 2 has an empty {which}"):
        next(rows)


class RecordingClassifier:
    """A minimal classifier that records what it was taught, to check order and count."""

    def __init__(self) -> None:
        self.n_seen = 0
        self.taught: list[tuple[str, str]] = []
        self.batches: list[int] = []

    @property
    def classes(self) -> list[str]:
        return sorted({y for _, y in self.taught})

    def learn_one(self, x: str, y: str) -> None:
        self.learn_many([x], [y])

    def learn_many(self, xs: Sequence[str], ys: Sequence[str]) -> None:
        self.taught.extend(zip(xs, ys, strict=True))
        self.batches.append(len(xs))
        self.n_seen += len(xs)

    def predict_many(self, xs: Sequence[str]) -> list[tuple[str | None, float]]:
        return [(None, 0.0) for _ in xs]


def test_bootstrap_learns_each_row_once_in_order() -> None:
    rows = [(f"text {i}", f"label {i % 3}") for i in range(1203)]
    tagger = bootstrap_tagger(iter(rows), "reason", estimator_factory=RecordingClassifier, batch_size=500)
    model = tagger.dimensions["reason"]
    assert isinstance(model, RecordingClassifier)
    assert model.taught == rows
    assert model.batches == [500, 500, 203]
    assert tagger.version == "tagger-1203"


def test_bootstrap_from_csv_predicts(tmp_path: Path) -> None:
    lines = ["text,category"] + ["my card was stolen,theft", "信用卡被盗刷,theft"] * 3
    lines += ["atm kept my card,atm", "取款机吞卡,atm"] * 3
    path = write(tmp_path / "a.csv", "\n".join(lines) + "\n")
    tagger = bootstrap_tagger(read_labelled_csv(path), "reason", min_seen=5)
    [[theft], [atm]] = tagger.predict_many(["卡被盗刷了", "the atm kept it"])
    assert (theft.tag, theft.source, atm.tag) == ("theft", "model", "atm")
