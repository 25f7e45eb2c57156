"""Incremental complaint tagging: hashed n-gram features, order-free online classifiers, a
multi-dimension tagger with keyword cold start, signed snapshots and evaluation helpers.

Pure library: no Kafka, HTTP, Redis or settings; callers pass in what it needs.
"""

from online_models.bootstrap import bootstrap_tagger, read_labelled_csv
from online_models.featurizers import HashedNgrams, normalize_text, tokenize
from online_models.keyword_rules import KeywordRules
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.snapshots import (
    SNAPSHOT_FORMAT_VERSION,
    SnapshotSignatureError,
    dumps_signed,
    loads_signed,
)
from online_models.tagger import Tagger, TagResult, TextClassifier

__all__ = [
    "SNAPSHOT_FORMAT_VERSION",
    "HashedNgrams",
    "KeywordRules",
    "NaiveBayesTextClassifier",
    "SnapshotSignatureError",
    "TagResult",
    "Tagger",
    "TextClassifier",
    "bootstrap_tagger",
    "dumps_signed",
    "loads_signed",
    "normalize_text",
    "read_labelled_csv",
    "tokenize",
]
