"""A request id on every response and API log line: ``X-Request-ID``, taken from the caller's
gateway when it sends a sane one, else a new one.

The id is in the problem-details body of every error and in every log line written while the
request runs (``config.log_setup`` adds it), so a complaint from a client quoting it leads straight
to the server's log lines.
"""

from __future__ import annotations

import re

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI

__all__ = ["REQUEST_ID_HEADER", "acceptable_request_id", "install_request_ids"]

REQUEST_ID_HEADER = "X-Request-ID"
#: What a gateway may send (nginx's $request_id, a UUID, a trace id): short, and safe in a log line.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def acceptable_request_id(value: str) -> bool:
    """Whether a caller's id is kept; anything else (log injection, megabytes) gets a new id.

    >>> acceptable_request_id("0f8fad5bd9cb469fa16570867728950e"), acceptable_request_id("a\\nb")
    (True, False)
    """
    return _ACCEPTABLE.fullmatch(value) is not None


def install_request_ids(app: FastAPI) -> None:
    """Add the middleware last, so it is the outermost and even a 413 carries the id."""
    app.add_middleware(
        CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER, validator=acceptable_request_id
    )
