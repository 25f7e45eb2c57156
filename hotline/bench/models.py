"""``hotline bench models``: items/s of the tagging models on ONE core, with every label of the data.

Measures, on micro-batches like the classify agent's:

- ``learn_per_s`` / ``predict_per_s``: the default model (the ``banking77`` dimension's) learning
  the whole file once in file order, and predicting it (best of ``repeats``);
- ``tagger_predict_per_s``: the whole tagger as the classify agent calls it (every taxonomy
  dimension: the learned one plus the keyword rules of the others) and the risk scorer with it;
- ``learner_labels_per_s``: the learner's test-then-train step on batches of corrections;
- snapshot size and the time to sign-and-dump and to verify-and-load it; peak resident memory.

One core: BLAS is limited to one thread (``OPENBLAS_NUM_THREADS=1``, set before numpy is
imported), so the work is single-threaded. Each rate comes by the wall clock (``*_per_s``) and by
the process's CPU time (``*_per_cpu_s``: what one dedicated core does, even on a busy machine).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["limit_to_one_core", "run_models_bench"]

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Corrections per learner batch in the learner measurement (a busy review team's burst).
LEARNER_BATCH = 50


def limit_to_one_core() -> bool:
    """Limit BLAS (and OpenMP) to one thread, so the models run on one core; False if too late.

    The thread count is read when numpy is first imported, so this must run before that. The
    process is not pinned to a CPU: on a shared machine a pinned process waits for its busy CPU,
    and CPU-time rates (``*_per_cpu_s``) already say what one dedicated core does.
    """
    if "numpy" in sys.modules:
        return False
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    return True


def _best_rates(n: int, work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Items per wall-clock second and per CPU second of ``work``, best of ``repeats`` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return n / best_wall, n / max(best_cpu, 1e-9)


def run_models_bench(
    data: Path, taxonomy_path: Path, *, dimension: str, repeats: int = 3, batch_size: int = 500
) -> dict[str, Any]:
    """The benchmark's JSON object (see the module docstring)."""
    one_core = limit_to_one_core()
    from online_models import (
        RiskScorer,
        dumps_signed,
        learn_rows,
        lineage_name,
        load_taxonomy,
        loads_signed,
        measure_throughput,
        read_labelled_csv,
        tagger_from_taxonomy,
    )

    rows = list(read_labelled_csv(data))
    texts = [t for t, _ in rows]
    labels = [label for _, label in rows]
    model = measure_throughput(texts, labels, batch_size=batch_size, repeats=repeats)

    taxonomy = load_taxonomy(taxonomy_path)
    tagger = tagger_from_taxonomy(taxonomy, name=lineage_name())
    learn_rows(tagger, rows, dimension, batch_size=batch_size)
    scorer = RiskScorer()
    batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
    # Complaint texts the tagger has not seen as-is (a remembered exact text would skip the model).
    unseen = [[f"{text} please" for text in batch] for batch in batches]
    tagger.predict_many(unseen[0][:1])  # derived weights, as a freshly loaded snapshot has them

    def classify() -> None:
        for batch in unseen:
            tagger.predict_many(batch)
            scorer.score_many(batch)

    tagger_rate, tagger_cpu_rate = _best_rates(len(texts), classify, repeats)

    def risk() -> None:
        for batch in batches:
            scorer.score_many(batch)

    risk_rate, risk_cpu_rate = _best_rates(len(texts), risk, repeats)

    key = b"bench-signing-key-0123456789abcdef"
    started = time.perf_counter()
    blob = dumps_signed(tagger, key)
    dump_s = time.perf_counter() - started
    started = time.perf_counter()
    loads_signed(blob, key)
    load_s = time.perf_counter() - started

    def learner_step() -> None:
        for start in range(0, min(len(rows), 20 * LEARNER_BATCH), LEARNER_BATCH):
            chunk = rows[start : start + LEARNER_BATCH]
            tagger.predict_many([f"{t} again" for t, _ in chunk], dimensions=[dimension])
            for text, label in chunk:
                tagger.learn_one(f"{text} again", dimension, label)

    n_learned = min(len(rows), 20 * LEARNER_BATCH)
    learner_rate, learner_cpu_rate = _best_rates(n_learned, learner_step, 1)
    return {
        "data": str(data),
        "n_items": len(rows),
        "n_labels": len(set(labels)),
        "batch_size": batch_size,
        "one_core": one_core,
        "learn_per_s": round(model["learn_per_s"]),
        "predict_per_s": round(model["predict_per_s"]),
        "learn_per_cpu_s": round(model["learn_per_cpu_s"]),
        "predict_per_cpu_s": round(model["predict_per_cpu_s"]),
        "tagger_predict_per_s": round(tagger_rate),
        "tagger_predict_per_cpu_s": round(tagger_cpu_rate),
        "tagger_dimensions": len(tagger.dimensions),
        "risk_per_s": round(risk_rate),
        "risk_per_cpu_s": round(risk_cpu_rate),
        "learner_labels_per_s": round(learner_rate),
        "learner_labels_per_cpu_s": round(learner_cpu_rate),
        "learner_batch": LEARNER_BATCH,
        "snapshot_bytes": len(blob),
        "snapshot_dump_s": round(dump_s, 3),
        "snapshot_load_s": round(load_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
