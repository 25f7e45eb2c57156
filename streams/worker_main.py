"""Entry point of a worker process: builds the worker for some settings and runs it."""

from __future__ import annotations

import gc
import os
import sys

from config.settings import Settings

__all__ = ["BLAS_THREAD_VARIABLES", "run_worker"]

#: Thread counts of the BLAS builds numpy may use (OpenBLAS, MKL, BLIS, OpenMP).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "OMP_NUM_THREADS")


def run_worker(settings: Settings) -> None:
    """Run the worker of ``settings`` in this process until SIGINT/SIGTERM (web server off: no port 6066)."""
    # Micro-batches are small: multi-threaded BLAS spends more CPU spinning than it saves
    # (measured: 1.75 vs 0.25 ms CPU per complaint at 15 texts a batch), on a machine it shares.
    # These are the process environment of a C library, not our settings: BLAS reads them once,
    # when numpy loads, so they are set before the imports below. Limiting OpenBLAS at run time
    # (threadpoolctl) left a restarted worker hung once its learner solved in a thread.
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, str(settings.worker_blas_threads))

    from config.log_setup import logging_config
    from streams.worker import build_worker
    from streams.worker_metrics import time_garbage_collections

    time_garbage_collections()
    # A micro-batch's objects live milliseconds: let them die young instead of being promoted.
    gc.set_threshold(settings.worker_gc_threshold, *gc.get_threshold()[1:])
    app = build_worker(settings)
    app.conf.logging_config = logging_config(settings)
    level = {"WARNING": "warn", "ERROR": "error"}.get(settings.log_level, settings.log_level.lower())
    sys.argv = [sys.argv[0], "worker", "--without-web", "--loglevel", level]
    app.main()
