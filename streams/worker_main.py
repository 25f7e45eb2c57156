"""Entry point of a worker process: registers the agents and runs the Faust worker."""

from __future__ import annotations

import sys

__all__ = ["run_worker"]


def run_worker() -> None:
    """Run the worker in this process until SIGINT/SIGTERM (web server off: no port 6066)."""
    import streams.agents  # noqa: F401 - registers the agents with the app
    from hotline.log_setup import logging_config
    from hotline.settings import get_settings
    from streams.app import app

    app.conf.logging_config = logging_config(get_settings())
    level = {"WARNING": "warn", "ERROR": "error"}.get(
        get_settings().log_level, get_settings().log_level.lower()
    )
    sys.argv = [sys.argv[0], "worker", "--without-web", "--loglevel", level]
    app.main()
