"""Incremental complaint tagging: hashed n-gram features, order-free online classifiers, a
multi-dimension tagger with keyword cold start, signed snapshots and evaluation helpers.

Pure library: no Kafka, HTTP, Redis or settings; callers pass in what it needs.
"""

from online_models.blended_text_classifier import BlendedTextClassifier, default_text_classifier
from online_models.bootstrap import bootstrap_tagger, read_labelled_csv
from online_models.evaluation import accuracy_and_macro_f1, evaluate, measure_throughput
from online_models.featurizers import HashedNgrams, normalize_text, tokenize
from online_models.keyword_rules import KeywordRules
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.ridge_text_classifier import RidgeTextClassifier
from online_models.snapshots import (
    SNAPSHOT_FORMAT_VERSION,
    SnapshotSignatureError,
    dumps_signed,
    loads_signed,
)
from online_models.tagger import Tagger, TagResult, TextClassifier
from online_models.text_classifier_base import TextClassifierBase

__all__ = [
    "SNAPSHOT_FORMAT_VERSION",
    "BlendedTextClassifier",
    "HashedNgrams",
    "KeywordRules",
    "NaiveBayesTextClassifier",
    "RidgeTextClassifier",
    "SnapshotSignatureError",
    "TagResult",
    "Tagger",
    "TextClassifier",
    "TextClassifierBase",
    "accuracy_and_macro_f1",
    "bootstrap_tagger",
    "default_text_classifier",
    "dumps_signed",
    "evaluate",
    "loads_signed",
    "measure_throughput",
    "normalize_text",
    "read_labelled_csv",
    "tokenize",
]
