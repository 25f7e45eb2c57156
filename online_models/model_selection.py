"""Pick a dimension's model configuration by an honest validation on the bank's own labels.

Our default was chosen on three kinds of text; a bank's labelled file may be a fourth. So a
bootstrap validates a small set of configurations on the file itself, split the way the file
says it must be (grouped by paraphrase group, or by time), and keeps the default unless another
configuration beats it by ``min_gain``: a small set and a margin keep the choice from chasing
noise in one validation.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from online_models.blended_text_classifier import default_text_classifier
from online_models.evaluation import evaluate
from online_models.featurizers import HashedNgrams
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.tagger import TextClassifier
from online_models.validation_splits import honest_splits

__all__ = ["MODEL_CONFIGURATIONS", "ModelChoice", "model_factory", "select_model"]

logger = logging.getLogger(__name__)

Factory = Callable[[], TextClassifier]

#: The configurations a bootstrap chooses among, with what each is for.
MODEL_CONFIGURATIONS: dict[str, tuple[str, Factory]] = {
    "default": (
        "two blends mixed per text: short English vs Chinese or long text",
        default_text_classifier,
    ),
    "short": (
        "the short-text blend for every text (naive Bayes + quadratic ridge): fine-grained intents",
        lambda: default_text_classifier(blend="short"),
    ),
    "broad": (
        "the broad blend for every text (smoothed naive Bayes + linear ridge + centroid)",
        lambda: default_text_classifier(blend="broad"),
    ),
    "light": (
        "naive Bayes alone: ~5 MB, fastest",
        lambda: NaiveBayesTextClassifier(HashedNgrams(n_bits=18), fit_prior=False),
    ),
}


def model_factory(name: str) -> Factory:
    """The factory of a configuration in ``MODEL_CONFIGURATIONS``."""
    try:
        return MODEL_CONFIGURATIONS[name][1]
    except KeyError:
        raise ValueError(
            f"unknown model configuration {name!r}; known: {sorted(MODEL_CONFIGURATIONS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """Which configuration a validation chose, on what evidence."""

    chosen: str
    reason: str
    validation: str
    accuracy: Mapping[str, float]
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def select_model(
    rows: Sequence[tuple[str, str]],
    *,
    groups: Sequence[str] | None = None,
    time_ordered: bool = False,
    folds: int = 5,
    seed: int = 0,
    candidates: Sequence[str] = ("default", "short", "broad"),
    min_gain: float = 0.01,
    progress: Callable[[str], None] | None = None,
) -> ModelChoice:
    """Validate every candidate on the same splits of ``rows``; keep ``candidates[0]`` unless
    another is more accurate by at least ``min_gain``.

    Examples
    --------
    >>> rows = [("card stolen", "theft"), ("atm ate card", "atm"), ("lost my card", "theft"),
    ...         ("atm kept cash", "atm")] * 5
    >>> choice = select_model(rows, folds=2, candidates=("light", "default"))
    >>> choice.chosen, sorted(choice.accuracy)
    ('light', ['default', 'light'])
    """
    if not candidates:
        raise ValueError("give at least one candidate configuration")
    description, splits = honest_splits(
        rows, groups=groups, time_ordered=time_ordered, folds=folds, seed=seed
    )
    if groups is None and not time_ordered:
        logger.warning("model selection on shuffled rows: paraphrases on both sides flatter every model")
    accuracy: dict[str, float] = {}
    for name in candidates:
        factory = model_factory(name)
        scores = [
            float(evaluate(train, test, prequential=False, estimator_factory=factory)["accuracy"] or 0.0)
            for train, test in splits
        ]
        accuracy[name] = round(statistics.fmean(scores), 4)
        message = f"model selection: {name} {accuracy[name]:.4f} ({description})"
        logger.info(message)
        if progress is not None:
            progress(message)
    base = candidates[0]
    best = max(accuracy, key=accuracy.__getitem__)
    if best != base and accuracy[best] >= accuracy[base] + min_gain:
        chosen = best
        reason = f"{best} beat {base} by {accuracy[best] - accuracy[base]:.4f} (>= {min_gain})"
    else:
        chosen = base
        reason = f"no configuration beat {base} by {min_gain} or more"
    return ModelChoice(chosen, reason, description, accuracy, len(rows))
