"""One error body for every 4xx and 5xx: RFC 9457 problem details.

``{"type": "about:blank", "title": "Unprocessable Content", "status": 422, "detail": "text: ...",
"request_id": "...", "field": "text", "errors": [...]}`` (``field`` and ``errors`` for 422s only), so a
client reads one shape whatever failed, and support can find the request's log lines by its id.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from api.request_ids import REQUEST_ID_HEADER

__all__ = [
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "install_error_handlers",
    "problem_body",
    "problem_response",
]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details; more members (``problems`` of a rules file) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str | None = None
    #: 422s: the first field that failed, and every failure.
    field: str | None = None
    errors: list[FieldError] | None = None


def problem_body(status_code: int, detail: str, **extensions: Any) -> dict[str, Any]:
    """The problem-details object (``type`` is ``about:blank``: the status code says it all)."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "request_id": correlation_id.get(),
        **extensions,
    }


def problem_response(
    status_code: int, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content=jsonable_encoder(problem_body(status_code, detail, **extensions)),
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _field(loc: tuple[str | int, ...] | list[str | int]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "field": _field(e["loc"]),
            **{key: value for key, value in e.items() if key in ("loc", "msg", "type")},
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:5])
    return problem_response(
        status.HTTP_422_UNPROCESSABLE_ENTITY,
        detail,
        field=errors[0]["field"] if errors else None,
        errors=errors,
    )


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(exc.status_code, str(exc.detail), headers=headers or None)


def _allowed_methods(request: Request) -> str:
    """Every method the API documents at this path (Starlette names only the first route's, and a
    path such as ``/api/v1/rules`` has one route per method)."""
    path = request.url.path
    methods = {
        method.upper()
        for template, operations in request.app.openapi().get("paths", {}).items()
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path)
        for method in operations
    }
    return ", ".join(sorted(methods))


async def _redis_unavailable(request: Request, exc: RedisError) -> JSONResponse:
    """Redis restarting is an outage to wait out (503), not a server bug (500)."""
    log.warning("%s %s: Redis unavailable (%s)", request.method, request.url.path, type(exc).__name__)
    return problem_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "Redis is unavailable; retry shortly",
        headers={"Retry-After": "5"},
    )


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the traceback goes to the log (Starlette re-raises), the client gets the request id to quote.

    This response leaves from outside the request-id middleware, so it sets the header itself.
    """
    request_id = correlation_id.get() or ""
    return problem_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        f"internal error; quote request id {request_id} when reporting it",
        headers={REQUEST_ID_HEADER: request_id},
    )


def _document_problems(app: FastAPI) -> None:
    """Every 4xx/5xx in the OpenAPI document is a :class:`Problem` (FastAPI's own 422 schema is not
    what is sent), so a generated client, or a fuzzer checking responses, reads the real shape; the
    ``default`` response of every operation says any other error (401, 403, 429, 503...) is one too."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        problem = {"$ref": "#/components/schemas/Problem"}
        for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response["content"] = {PROBLEM_JSON: {"schema": problem}}
            responses.setdefault(
                "default",
                {
                    "description": "An error: RFC 9457 problem details",
                    "content": {PROBLEM_JSON: {"schema": problem}},
                },
            )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem_schema.pop("$defs"), Problem=problem_schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # replacing app.openapi is FastAPI's documented hook


def install_error_handlers(app: FastAPI) -> None:
    _document_problems(app)
    app.add_exception_handler(
        RequestValidationError,
        _validation_error,  # type: ignore[arg-type]  # Starlette types handlers as taking any Exception
    )
    app.add_exception_handler(
        HTTPException,
        _http_error,  # type: ignore[arg-type]  # Starlette types handlers as taking any Exception
    )
    app.add_exception_handler(
        RedisError,
        _redis_unavailable,  # type: ignore[arg-type]  # Starlette types handlers as taking any Exception
    )
    app.add_exception_handler(Exception, _server_error)
