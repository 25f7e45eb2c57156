"""Hashed character and word n-grams for English and Chinese complaint texts.

Hashing keeps memory fixed however large the vocabulary grows, and the hashing here is plain
unsigned 64-bit arithmetic on numpy arrays: stable across processes (unlike ``hash(str)``) and
vectorised over a whole micro-batch, which is what makes thousands of texts per second possible.

Chinese has no spaces: each run of CJK characters is one "word" for the character n-grams
(1-4 characters, across word boundaries, so a segmentation error costs little), and is cut into
words by jieba's dictionary for the word n-grams. Latin words get character n-grams padded with a
space at both ends (``char_wb`` style) plus word uni/bi-grams. Before that, text is folded (see
``text_normalization``): width, case, traditional to simplified Chinese, numbers to magnitudes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from online_models.text_normalization import (
    HAN_CHARS,
    fold_chinese_variants,
    fold_numbers,
    fold_placeholders,
    normalize_text,
    segment_chinese,
)

__all__ = ["HashedNgrams", "mix64", "normalize_text", "tokenize"]

# CJK ideographs, kana and hangul: each run of these is one token, split from Latin/digits.
_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"  # radicals, kana, bopomofo
    f"{HAN_CHARS}"  # CJK ideographs
    "\uac00-\ud7af"  # hangul syllables
)
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
# Texts of a batch are joined by NUL and folded as one string; NUL comes out as its own token.
_SEPARATOR = "\x00"
_TOKEN_OR_SEPARATOR_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+|\x00")
_HAN_RUN_RE = re.compile(f"[{HAN_CHARS}]{{2,}}")
# Apostrophes inside words are dropped ("can't" -> "cant") rather than splitting the word.
_APOSTROPHE_RE = re.compile(r"(?<=\w)['\u2019\u02bc](?=\w)")

# Hashing constants: an odd multiplier (so it has an inverse modulo 2**64) and murmur3's finaliser.
_POLY = np.uint64(0x100000001B3)
_POLY_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SALT_WORD = np.uint64(0x9E3779B97F4A7C15)
_SPACE = 32


def tokenize(text: str) -> list[str]:
    """Tokens of normalised text: Latin/digit words, and runs of CJK characters.

    Examples
    --------
    >>> tokenize("My card can't pay 信用卡被盗刷了！")
    ['my', 'card', 'cant', 'pay', '信用卡被盗刷了']
    >>> tokenize("用visa卡")
    ['用', 'visa', '卡']
    """
    return _TOKEN_RE.findall(_APOSTROPHE_RE.sub("", normalize_text(text)))


def mix64(h: np.ndarray) -> np.ndarray:
    """Murmur3's 64-bit finaliser on a uint64 array: spreads structured keys over all bits.

    Examples
    --------
    >>> mix64(np.array([1, 2], dtype=np.uint64)).dtype
    dtype('uint64')
    """
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * _MIX1
        h = h ^ (h >> np.uint64(33))
        h = h * _MIX2
        out: np.ndarray = h ^ (h >> np.uint64(33))
    return out


@dataclass(unsafe_hash=True)  # equal, and hashed alike, when their parameters are equal
class HashedNgrams:
    """Character n-grams within words plus word n-grams, hashed into ``2**n_bits`` columns.

    Each row has sublinear term frequencies (``1 + log(tf)``); character and word blocks are
    each L2-normalised and then weighted by ``char_weight`` and ``word_weight`` so neither block
    dominates just by having more n-grams, and the whole row is L2-normalised.

    Parameters
    ----------
    n_bits
        Number of hash bits; the feature space has ``2**n_bits`` columns whatever the vocabulary.
    char_ngram_range
        Smallest and largest character n-gram, within words padded by a space at both ends.
    word_ngram_range
        Smallest and largest word n-gram; ``(0, 0)`` turns word features off.
    char_weight, word_weight
        Relative weight of the two blocks.
    max_chars
        Cut texts to this many characters (None: the whole text counts; the API bounds its size).
    segment_words
        Cut runs of Chinese characters into words (jieba) for the word n-grams.
    fold_variants
        Fold traditional Chinese characters to simplified ones.
    fold_numbers
        Replace numbers (amounts with 万/千/亿 multipliers included) by their order of magnitude.

    Examples
    --------
    >>> fz = HashedNgrams(n_bits=18)
    >>> x = fz.transform_one("Card not working")
    >>> all(0 <= k < 2**18 for k in x)
    True
    >>> round(sum(v * v for v in x.values()), 6)
    1.0
    >>> fz.transform_one("Card not working") == x
    True
    >>> fz.transform_many(["我的信用卡被盗刷了", "card lost", ""]).shape
    (3, 262144)
    """

    n_bits: int = 18
    char_ngram_range: tuple[int, int] = (1, 4)
    word_ngram_range: tuple[int, int] = (1, 2)
    char_weight: float = 1.0
    word_weight: float = 1.0
    max_chars: int | None = None
    segment_words: bool = True
    fold_variants: bool = True
    fold_numbers: bool = True

    def __post_init__(self) -> None:
        char_ngram_range, word_ngram_range = self.char_ngram_range, self.word_ngram_range
        if not 8 <= self.n_bits <= 30:
            raise ValueError("n_bits must be between 8 and 30")
        if not 1 <= char_ngram_range[0] <= char_ngram_range[1] or char_ngram_range[1] > 8:
            raise ValueError("char_ngram_range must be (lo, hi) with 1 <= lo <= hi <= 8")
        if word_ngram_range != (0, 0) and not 1 <= word_ngram_range[0] <= word_ngram_range[1] <= 3:
            raise ValueError("word_ngram_range must be (0, 0) or (lo, hi) with 1 <= lo <= hi <= 3")
        if self.max_chars is not None and self.max_chars < 1:
            raise ValueError("max_chars must be >= 1 or None")
        self.char_ngram_range = tuple(char_ngram_range)  # type: ignore[assignment]  # tuple() loses the arity
        self.word_ngram_range = tuple(word_ngram_range)  # type: ignore[assignment]  # tuple() loses the arity

    def __setstate__(self, state: dict[str, object]) -> None:
        """Featurizers pickled before folding and segmentation existed keep featurising as they did."""
        state.setdefault("segment_words", False)
        state.setdefault("fold_variants", False)
        state.setdefault("fold_numbers", False)
        self.__dict__.update(state)

    @property
    def n_features(self) -> int:
        return 1 << self.n_bits

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """The tokens character n-grams are taken from, and the words of the word n-grams.

        Examples
        --------
        >>> HashedNgrams().tokens("我的信用卡被盗刷了3.5萬元 on Visa")
        (['我的信用卡被盗刷了', 'num5', '元', 'on', 'visa'], ['我', '的', '信用卡', '被盗', '刷', '了', \
'num5', '元', 'on', 'visa'])
        """
        return self.tokens_many([text])[0]

    def tokens_many(self, texts: Sequence[str]) -> list[tuple[list[str], list[str]]]:
        """``tokens`` of every text, folded and split as one string (a fifth of the per-text cost).

        The texts are joined by NUL, which every folding step leaves alone and treats as a
        boundary, so each text folds exactly as it would alone.

        Examples
        --------
        >>> fz = HashedNgrams()
        >>> fz.tokens_many(["Card 35,000", "", "取款机吞卡"]) == [fz.tokens(t) for t in \
["Card 35,000", "", "取款机吞卡"]]
        True
        """
        if self.max_chars is not None:
            texts = [t[: self.max_chars] for t in texts]
        # NUL inside a text would split it: a space instead (it separated tokens before as well).
        joined = fold_placeholders(_SEPARATOR.join(t.replace(_SEPARATOR, " ") for t in texts))
        if not joined.isascii():
            joined = normalize_text(joined)
            if self.fold_variants:
                joined = fold_chinese_variants(joined)
        else:
            joined = joined.lower()
        if self.fold_numbers:
            joined = fold_numbers(joined)
        found = _TOKEN_OR_SEPARATOR_RE.findall(_APOSTROPHE_RE.sub("", joined))
        out: list[tuple[list[str], list[str]]] = []
        chars: list[str] = []
        for token in found:
            if token == _SEPARATOR:
                out.append((chars, chars))
                chars = []
            else:
                chars.append(token)
        out.append((chars, chars))
        if self.segment_words and _HAN_RUN_RE.search(joined) is not None:
            out = [(chars, self._words(chars)) for chars, _ in out]
        return out

    @staticmethod
    def _words(chars: list[str]) -> list[str]:
        """Runs of Chinese characters cut into words; the same list when there are none, so
        callers hash the words once (``transform_many``)."""
        words: list[str] = []
        segmented = False
        for token in chars:
            if _HAN_RUN_RE.fullmatch(token):
                words.extend(segment_chinese(token))
                segmented = True
            else:
                words.append(token)
        return words if segmented else chars

    def transform_one(self, text: str) -> dict[int, float]:
        """Features of one text as ``{column: value}``."""
        row = self.transform_many([text])
        return dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))

    def transform_many(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Features of a batch as a CSR matrix of shape ``(len(texts), 2**n_bits)``."""
        texts = list(texts)
        n_docs = len(texts)
        tokens = self.tokens_many(texts)
        # Every document becomes " tok1 tok2 ... " and the batch is one concatenated string.
        char_docs = _Docs([chars for chars, _ in tokens])
        segmented = any(words is not chars for chars, words in tokens)
        word_docs = _Docs([words for _, words in tokens]) if segmented else char_docs
        rows_c, cols_c = self._char_ngrams(char_docs)
        rows_w, cols_w = self._word_ngrams(word_docs)
        char_block = self._block(rows_c, cols_c, n_docs, self.char_weight)
        word_block = self._block(rows_w, cols_w, n_docs, self.word_weight)
        out = (char_block + word_block).tocsr()
        _normalize_rows(out)
        return out

    # -- hashing --------------------------------------------------------------------------------

    def _hash_spans(self, docs: _Docs, a: np.ndarray, b: np.ndarray, salt: np.uint64) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = docs.pows[b - 1] * (docs.prefix[b] - docs.prefix[a]) + salt
            return (mix64(h) & np.uint64(self.n_features - 1)).astype(np.int64)

    def _char_ngrams(self, docs: _Docs) -> tuple[np.ndarray, np.ndarray]:
        is_space = docs.is_space
        n = len(is_space)
        # Number of spaces in codes[:i], to reject n-grams with a space inside them.
        space_prefix = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(is_space, out=space_prefix[1:])
        rows, cols = [], []
        lo, hi = self.char_ngram_range
        for k in range(lo, hi + 1):
            if n < k:
                break
            a = np.arange(n - k + 1)
            b = a + k
            if k == 1:
                ok = ~is_space
            elif k == 2:
                ok = ~(is_space[a] & is_space[b - 1])
            else:  # spaces only at the ends: a word piece, or a whole word padded by spaces
                ok = space_prefix[b - 1] == space_prefix[a + 1]
            a, b = a[ok], b[ok]
            rows.append(np.searchsorted(docs.starts, a, side="right") - 1)
            cols.append(self._hash_spans(docs, a, b, np.uint64(k)))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(cols)

    def _word_ngrams(self, docs: _Docs) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.word_ngram_range
        is_space = docs.is_space
        empty = np.zeros(0, dtype=np.int64)
        if lo == 0 or len(is_space) < 2:
            return empty, empty
        word_start = np.flatnonzero(~is_space[1:] & is_space[:-1]) + 1
        word_end = np.flatnonzero(~is_space[:-1] & is_space[1:]) + 1
        doc = np.searchsorted(docs.starts, word_start, side="right") - 1
        rows, cols = [], []
        for k in range(lo, hi + 1):
            if len(word_start) < k:
                break
            first = np.arange(len(word_start) - k + 1)
            last = first + k - 1
            same_doc = doc[first] == doc[last]
            first, last = first[same_doc], last[same_doc]
            rows.append(doc[first])
            # Words are joined by exactly one space, so "w1 w2" is one contiguous span.
            cols.append(self._hash_spans(docs, word_start[first], word_end[last], _SALT_WORD))
        return (np.concatenate(rows), np.concatenate(cols)) if rows else (empty, empty)

    def _block(self, rows: np.ndarray, cols: np.ndarray, n_docs: int, weight: float) -> sp.csr_matrix:
        """Rows of ``1 + log(count)`` per (document, n-gram), L2-normalised to ``weight``.

        Counting by one sort of ``document << n_bits | column`` keys builds the matrix with sorted,
        summed indices directly: half the cost of scipy's ``sum_duplicates`` on a COO matrix.
        """
        keys = (rows << self.n_bits) | cols
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(starts, append=len(keys))
        distinct = keys[starts]
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(distinct >> self.n_bits, minlength=n_docs), out=indptr[1:])
        data = np.log(counts)
        data += 1.0
        block = sp.csr_matrix(
            (data, distinct & (self.n_features - 1), indptr), shape=(n_docs, self.n_features)
        )
        _normalize_rows(block, scale=weight)
        return block


class _Docs:
    """A batch of token lists as one string " tok1 tok2 ... " per document, concatenated, with the
    prefix sums that give the polynomial hash of any substring in O(1):
    ``hash(codes[a:b]) = pows[b - 1] * (prefix[b] - prefix[a])`` with wrap-around uint64
    arithmetic, where ``prefix[i] = sum(codes[j] * POLY**-j for j < i)``.
    """

    def __init__(self, token_lists: list[list[str]]) -> None:
        docs = [" " + " ".join(tokens) + " " for tokens in token_lists]
        self.starts = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=self.starts[1:])
        codes = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self.is_space = codes == _SPACE
        n = len(codes)
        inv_pows = np.full(n, _POLY_INV, dtype=np.uint64)
        pows = np.full(n, _POLY, dtype=np.uint64)
        if n:
            inv_pows[0] = 1
            pows[0] = 1
        with np.errstate(over="ignore"):
            inv_pows = np.cumprod(inv_pows, dtype=np.uint64)
            self.pows = np.cumprod(pows, dtype=np.uint64)
            self.prefix = np.zeros(n + 1, dtype=np.uint64)
            np.cumsum(codes * inv_pows, dtype=np.uint64, out=self.prefix[1:])


def _normalize_rows(m: sp.csr_matrix, scale: float = 1.0) -> None:
    """L2-normalise the rows of ``m`` in place (empty rows stay empty)."""
    lengths = np.diff(m.indptr)
    row_ids = np.repeat(np.arange(m.shape[0]), lengths)
    norms = np.sqrt(np.bincount(row_ids, weights=m.data * m.data, minlength=m.shape[0]))
    factors = np.divide(scale, norms, out=np.zeros_like(norms), where=norms > 0)
    m.data *= np.repeat(factors, lengths)
