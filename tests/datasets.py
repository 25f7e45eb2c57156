"""Where the tests find their data: everything they need is shipped under ``data/``; the one set
that may not be shipped (UnionPay 95516) is looked up beside the checkout and its tests skip,
saying where to put it, when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["BANKING77", "BANKING77_CATEGORIES", "CFPB", "NAB", "dataset_csv"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BANKING77 = DATA / "banking77" / "train.csv"
BANKING77_CATEGORIES = DATA / "banking77" / "categories.json"
CFPB = DATA / "cfpb_narratives" / "train.csv"
NAB = DATA / "nab_tweets"
#: Data sets not shipped with the project (their terms forbid it), by folder name.
_NOT_SHIPPED = {"unionpay95516": "UnionPay 95516 customer questions (text,subject,standard_question)"}


def dataset_csv(name: str) -> Path:
    """``train.csv`` of a data set by folder name: shipped ones from ``data/``, the others from
    ``HOTLINE_DATASETS_DIR`` (default ``../shared/datasets``); skips the test when it is absent."""
    if name not in _NOT_SHIPPED:
        return DATA / name / "train.csv"
    folder = Path(os.environ.get("HOTLINE_DATASETS_DIR", ROOT.parent / "shared" / "datasets"))
    path = folder / name / "train.csv"
    if not path.is_file():
        pytest.skip(
            f"{_NOT_SHIPPED[name]} not found at {path}: it is not shipped with the project; "
            "set HOTLINE_DATASETS_DIR to the folder holding unionpay95516/train.csv to run this test"
        )
    return path
