"""Incremental complaint tagging: hashed n-gram features, order-free online classifiers, a
multi-dimension tagger driven by the taxonomy (keyword cold start, remembered corrections), risk
scoring, prequential metrics, signed snapshots and evaluation helpers.

Pure library: no Kafka, HTTP, Redis or settings; callers pass in what it needs.
"""

from online_models.blended_text_classifier import BlendedTextClassifier, default_text_classifier
from online_models.bootstrap import bootstrap_tagger, learn_rows, read_group_column, read_labelled_csv
from online_models.centroid_text_classifier import CentroidTextClassifier
from online_models.evaluation import accuracy_and_macro_f1, evaluate, measure_throughput
from online_models.featurizers import HashedNgrams, normalize_text, tokenize
from online_models.gated_blend_text_classifier import GatedBlendTextClassifier, broad_share
from online_models.keyword_rules import KeywordRules
from online_models.label_memory import LabelMemory, text_key
from online_models.model_selection import MODEL_CONFIGURATIONS, ModelChoice, model_factory, select_model
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.phrase_matcher import PhraseMatcher
from online_models.prequential import PrequentialAccuracy, RollingAccuracy
from online_models.quadratic_ridge_text_classifier import QuadraticRidgeTextClassifier
from online_models.ridge_text_classifier import RidgeTextClassifier
from online_models.risk_scorer import DEFAULT_RISK_PATTERNS, RiskPattern, RiskReason, RiskScore, RiskScorer
from online_models.river_baseline import RiverBaseline
from online_models.snapshots import (
    SNAPSHOT_FORMAT_VERSION,
    SnapshotSignatureError,
    dumps_signed,
    loads_signed,
)
from online_models.tagger import Tagger, TagResult, TextClassifier
from online_models.taxonomy import (
    DimensionSpec,
    DisplayName,
    Keywords,
    TagSpec,
    Taxonomy,
    TaxonomyError,
    TaxonomyFile,
    UnknownLabelError,
    load_taxonomy,
    parse_taxonomy,
)
from online_models.taxonomy_tagger import apply_taxonomy, estimator_for, lineage_name, tagger_from_taxonomy
from online_models.text_classifier_base import TextClassifierBase
from online_models.validation_splits import grouped_folds, shuffled_folds, time_ordered_split

__all__ = [
    "DEFAULT_RISK_PATTERNS",
    "MODEL_CONFIGURATIONS",
    "SNAPSHOT_FORMAT_VERSION",
    "BlendedTextClassifier",
    "CentroidTextClassifier",
    "DimensionSpec",
    "DisplayName",
    "GatedBlendTextClassifier",
    "HashedNgrams",
    "KeywordRules",
    "Keywords",
    "LabelMemory",
    "ModelChoice",
    "NaiveBayesTextClassifier",
    "PhraseMatcher",
    "PrequentialAccuracy",
    "QuadraticRidgeTextClassifier",
    "RidgeTextClassifier",
    "RiskPattern",
    "RiskReason",
    "RiskScore",
    "RiskScorer",
    "RiverBaseline",
    "RollingAccuracy",
    "SnapshotSignatureError",
    "TagResult",
    "TagSpec",
    "Tagger",
    "Taxonomy",
    "TaxonomyError",
    "TaxonomyFile",
    "TextClassifier",
    "TextClassifierBase",
    "UnknownLabelError",
    "accuracy_and_macro_f1",
    "apply_taxonomy",
    "bootstrap_tagger",
    "broad_share",
    "default_text_classifier",
    "dumps_signed",
    "estimator_for",
    "evaluate",
    "grouped_folds",
    "learn_rows",
    "lineage_name",
    "load_taxonomy",
    "loads_signed",
    "measure_throughput",
    "model_factory",
    "normalize_text",
    "parse_taxonomy",
    "read_group_column",
    "read_labelled_csv",
    "select_model",
    "shuffled_folds",
    "tagger_from_taxonomy",
    "text_key",
    "time_ordered_split",
    "tokenize",
]
