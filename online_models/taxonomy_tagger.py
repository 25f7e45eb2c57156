"""Build a tagger from the taxonomy, and bring an existing (learned) tagger in line with an edited one.

The taxonomy decides which dimensions exist, which model each gets and the keywords of its
cold-start rules; the tagger keeps what it learned for every dimension that stays.
"""

from __future__ import annotations

import time
from typing import Any

from online_models.blended_text_classifier import default_text_classifier
from online_models.featurizers import HashedNgrams
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.tagger import Tagger, TextClassifier
from online_models.taxonomy import DimensionSpec, Taxonomy

__all__ = ["apply_taxonomy", "estimator_for", "lineage_name", "tagger_from_taxonomy"]


def lineage_name(now: float | None = None) -> str:
    """Name for a tagger started now (UTC), so versions read ``tagger@20261126T101500-<labels>``.

    Examples
    --------
    >>> lineage_name(0.0)
    'tagger@19700101T000000'
    """
    return time.strftime("tagger@%Y%m%dT%H%M%S", time.gmtime(now))


def estimator_for(dimension: DimensionSpec) -> TextClassifier:
    """An untrained model of the kind the dimension asks for (``default`` or ``light``)."""
    if dimension.model == "default":
        return default_text_classifier()
    return NaiveBayesTextClassifier(HashedNgrams(n_bits=18), fit_prior=False)


def tagger_from_taxonomy(taxonomy: Taxonomy, *, name: str = "tagger", **tagger_options: Any) -> Tagger:
    """An untrained tagger with every dimension of ``taxonomy`` and its keyword rules.

    Other keyword arguments go to ``Tagger`` (``min_seen``, ``min_confidence``, ...).

    Examples
    --------
    >>> from online_models.taxonomy import parse_taxonomy
    >>> taxonomy = parse_taxonomy('''
    ... dimensions:
    ...   - id: product
    ...     name: {zh: 产品, en: Product}
    ...     tags:
    ...       - {id: credit_card, name: {zh: 信用卡, en: Credit card}, keywords: {zh: [信用卡]}}
    ... ''')
    >>> tagger = tagger_from_taxonomy(taxonomy)
    >>> [(r.dimension, r.tag, r.source) for r in tagger.predict_one("信用卡被盗刷")]
    [('product', 'credit_card', 'rules')]
    """
    return Tagger(
        {d.id: estimator_for(d) for d in taxonomy.dimensions},
        keywords=taxonomy.keywords(),
        name=name,
        **tagger_options,
    )


def apply_taxonomy(tagger: Tagger, taxonomy: Taxonomy) -> list[str]:
    """Add new dimensions, drop removed ones and replace every keyword list; what changed, in words.

    A dimension that stays keeps its learned model, even if the file now asks for another model
    kind (that takes a new bootstrap). An empty list means the tagger already matched.

    Examples
    --------
    >>> from online_models.taxonomy import parse_taxonomy
    >>> spec = "dimensions: [{id: %s, name: {zh: 甲, en: A}, tags: [{id: t, name: {zh: 乙, en: B}}]}]"
    >>> tagger = tagger_from_taxonomy(parse_taxonomy(spec % "cause"))
    >>> apply_taxonomy(tagger, parse_taxonomy(spec % "product"))
    ['added dimension product', 'removed dimension cause']
    >>> apply_taxonomy(tagger, parse_taxonomy(spec % "product"))
    []
    """
    changes: list[str] = []
    wanted = {d.id: d for d in taxonomy.dimensions}
    for dimension in taxonomy.dimensions:
        if dimension.id not in tagger.dimensions:
            tagger.add_dimension(dimension.id, estimator_for(dimension), dimension.keywords())
            changes.append(f"added dimension {dimension.id}")
    for dimension_id in [d for d in tagger.dimensions if d not in wanted]:
        tagger.remove_dimension(dimension_id)
        changes.append(f"removed dimension {dimension_id}")
    for dimension in taxonomy.dimensions:
        keywords = dimension.keywords()
        if tagger.keywords.get(dimension.id, {}) != keywords:
            tagger.set_keywords(dimension.id, keywords)
            if f"added dimension {dimension.id}" not in changes:
                changes.append(f"new keywords for {dimension.id}")
    return changes
