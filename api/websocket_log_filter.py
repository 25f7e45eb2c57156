"""Keep query strings out of uvicorn's websocket log lines: they carry the API token and, on
``/ws/calls``, the caller's reference, neither of which may reach a log."""

from __future__ import annotations

import logging

__all__ = ["WebsocketQueryRedaction", "install_websocket_log_filter"]

_WEBSOCKET_LINE = '%s - "WebSocket %s"'


class WebsocketQueryRedaction(logging.Filter):
    """Drops everything after ``?`` from the path of uvicorn's ``WebSocket`` lines.

    >>> record = logging.LogRecord("uvicorn.error", 20, "", 0, '%s - "WebSocket %s" [accepted]',
    ...                            ("127.0.0.1:5", "/ws/calls/c1?token=secret"), None)
    >>> WebsocketQueryRedaction().filter(record), record.getMessage()
    (True, '127.0.0.1:5 - "WebSocket /ws/calls/c1?..." [accepted]')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_WEBSOCKET_LINE):
            args = record.args
            if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], str) and "?" in args[1]:
                record.args = (args[0], args[1].split("?", 1)[0] + "?...", *args[2:])
        return True


def install_websocket_log_filter() -> None:
    """Add the redaction to uvicorn's logger once per process."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, WebsocketQueryRedaction) for f in logger.filters):
        logger.addFilter(WebsocketQueryRedaction())
