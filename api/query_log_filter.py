"""Keep query strings out of uvicorn's log lines: they carry the API token (websockets) and the
caller's reference (``/ws/calls``, ``POST /api/v1/calls``), neither of which may reach a log."""

from __future__ import annotations

import logging

__all__ = ["QueryStringRedaction", "install_query_log_filter"]

#: uvicorn's websocket line (logger ``uvicorn.error``) and access line (``uvicorn.access``), with the
#: position of the path among their arguments.
_PATH_ARG = {'%s - "WebSocket %s"': 1, '%s - "%s %s HTTP/%s" %d': 2}


class QueryStringRedaction(logging.Filter):
    """Drops everything after ``?`` from the path of uvicorn's websocket and access lines.

    >>> record = logging.LogRecord("uvicorn.error", 20, "", 0, '%s - "WebSocket %s" [accepted]',
    ...                            ("127.0.0.1:5", "/ws/calls/c1?token=secret"), None)
    >>> QueryStringRedaction().filter(record), record.getMessage()
    (True, '127.0.0.1:5 - "WebSocket /ws/calls/c1?..." [accepted]')
    >>> path = "/api/v1/calls?caller_ref=13912345678"
    >>> record = logging.LogRecord("uvicorn.access", 20, "", 0, '%s - "%s %s HTTP/%s" %d',
    ...                            ("127.0.0.1:5", "POST", path, "1.1", 202), None)
    >>> QueryStringRedaction().filter(record), record.getMessage()
    (True, '127.0.0.1:5 - "POST /api/v1/calls?... HTTP/1.1" 202')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not isinstance(record.args, tuple):
            return True
        for prefix, at in _PATH_ARG.items():
            if record.msg.startswith(prefix) and len(record.args) > at:
                path = record.args[at]
                if isinstance(path, str) and "?" in path:
                    record.args = (*record.args[:at], path.split("?", 1)[0] + "?...", *record.args[at + 1 :])
                break
        return True


def install_query_log_filter() -> None:
    """Add the redaction to uvicorn's loggers once per process."""
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryStringRedaction) for f in logger.filters):
            logger.addFilter(QueryStringRedaction())
