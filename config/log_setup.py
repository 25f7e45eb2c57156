"""One logging set-up for every process: readable text locally, JSON lines in production.

JSON lines carry ``extra=`` fields (e.g. ``event_id``, ``alert_id``) as their own keys, so a log
search finds every line about one complaint at 3 a.m. Every line carries the API request it was
written for (``request_id``, the ``X-Request-ID`` of the response; ``-`` outside a request).
"""

from __future__ import annotations

import logging.config
from typing import Any

from config.settings import Settings

__all__ = ["configure_logging", "logging_config"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(correlation_id)s %(message)s"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``settings`` (Faust's worker takes the same dict)."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "correlation_id": "request_id"},
        }
        if settings.log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            # One traceback per refused connection while ClickHouse is down: the sink says it once.
            "clickhouse_driver.connection": {"level": "ERROR"},
            # One line per HTTP request of the CLI's clients (benches, watch) is noise, not news.
            "httpx": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING" if not settings.api_access_log else "INFO"},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
