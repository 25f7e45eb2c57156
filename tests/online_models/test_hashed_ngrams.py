"""HashedNgrams: bounded, stable, batch-independent features for English and Chinese."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from online_models import HashedNgrams, tokenize

TEXTS = [
    "My card hasn't arrived yet",
    "我的信用卡被盗刷了，请帮我冻结",
    "",
    "？？？",
    "ATM 取款机吞卡 card swallowed",
    "a",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＴＭ",
]


def test_indices_are_bounded_and_rows_unit_length() -> None:
    fz = HashedNgrams(n_bits=12)
    x = fz.transform_many(TEXTS)
    assert x.shape == (len(TEXTS), 4096)
    assert x.indices.min() >= 0 and x.indices.max() < 4096
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    assert np.allclose(norms, [1, 1, 0, 0, 1, 1, 1])


def test_batch_rows_equal_single_rows() -> None:
    """Concatenating a batch must not leak n-grams across document boundaries."""
    fz = HashedNgrams(n_bits=18)
    batch = fz.transform_many(TEXTS)
    for i, text in enumerate(TEXTS):
        row = batch[i]
        assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == pytest.approx(
            fz.transform_one(text)
        )


def test_hashes_are_stable_across_processes() -> None:
    code = (
        "from online_models import HashedNgrams;"
        "print(sorted(HashedNgrams(n_bits=20).transform_one('信用卡 card stolen')))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=os.getcwd()
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert outputs.pop().strip() == str(sorted(HashedNgrams(n_bits=20).transform_one("信用卡 card stolen")))


def test_full_width_and_case_fold_to_the_same_features() -> None:
    fz = HashedNgrams(n_bits=18)
    assert fz.transform_one("ＡＴＭ Ｃａｒｄ") == fz.transform_one("atm card")


def test_chinese_gets_character_ngrams() -> None:
    fz = HashedNgrams(n_bits=18, word_ngram_range=(0, 0))
    # 4 chars -> 4 unigrams + 5 bigrams (with padding) + 4 trigrams + 3 four-grams = 16
    assert len(fz.transform_one("信用卡丢")) == 16
    shared = set(fz.transform_one("信用卡丢了")) & set(fz.transform_one("我的信用卡"))
    assert len(shared) >= 6  # 信, 用, 卡, 信用, 用卡, 信用卡 at least


def test_tokenize_splits_scripts_and_keeps_contractions() -> None:
    assert tokenize("I can't use 支付宝app") == ["i", "cant", "use", "支付宝", "app"]


def test_empty_and_symbol_only_texts_have_no_features() -> None:
    fz = HashedNgrams(n_bits=16)
    assert fz.transform_one("") == {}
    assert fz.transform_one("？！...") == {}


def test_long_texts_are_cut() -> None:
    fz = HashedNgrams(n_bits=16, max_chars=10)
    assert fz.transform_one("abcdefghij" + " zzz" * 1000) == fz.transform_one("abcdefghij")


@pytest.mark.parametrize(
    "kwargs",
    [{"n_bits": 4}, {"char_ngram_range": (0, 3)}, {"char_ngram_range": (3, 2)}, {"word_ngram_range": (1, 5)}],
)
def test_bad_parameters_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        HashedNgrams(**kwargs)  # type: ignore[arg-type]  # bad parameters on purpose, typed dict[str, object]
