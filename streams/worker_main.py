"""Entry point of a worker process: registers the agents and runs the Faust worker."""

from __future__ import annotations

import sys

__all__ = ["run_worker"]


def run_worker() -> None:
    """Run the worker in this process until SIGINT/SIGTERM (web server off: no port 6066)."""
    import streams.agents  # noqa: F401 - registers the agents with the app
    from streams.app import app

    sys.argv = [sys.argv[0], "worker", "--without-web", "--loglevel", "info"]
    app.main()
