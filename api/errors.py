"""Error bodies that name the problem: ``{"message": "body.text: ...", "detail": [...]}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)


def _field(loc: tuple[str | int, ...] | list[str | int]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{key: value for key, value in e.items() if key in ("loc", "msg", "type")} for e in exc.errors()]
    message = "; ".join(f"{_field(e['loc'])}: {e['msg']}" for e in errors[:5])
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        content=jsonable_encoder({"message": message, "detail": errors}),
    )


async def _redis_unavailable(request: Request, exc: RedisError) -> JSONResponse:
    """Redis restarting is an outage to wait out (503), not a server bug (500)."""
    log.warning("%s %s: Redis unavailable (%s)", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"message": "Redis is unavailable; retry shortly"},
        headers={"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(RedisError, _redis_unavailable)  # type: ignore[arg-type]
