"""Liveness (``/healthz``, no token: load balancers probe it) and readiness (``/readyz``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from api.auth import require
from api.readiness import check_readiness

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The API process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, dependencies=[Depends(require("status.read"))])
async def readyz(request: Request, response: Response) -> Readiness:
    """Every dependency answers: broker, Redis, ClickHouse, a model in the registry. 503 otherwise.
    Any valid token may ask."""
    checks = await check_readiness(request.app.state)
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(ready=ready, checks=checks)
