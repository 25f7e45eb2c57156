"""The caller's own session: ``GET /api/v1/session`` (name, role and what it may do; never the token).

The dashboard asks this right after login and shows only the panels the role may see.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from access.roles import ALERT_AUDIENCE, Principal, Role, permissions_of
from api.auth import require

__all__ = ["SessionOut", "router"]

router = APIRouter(prefix="/api/v1", tags=["session"])


class SessionOut(BaseModel):
    name: str = Field(description="The token's name.")
    role: Role
    permissions: list[str] = Field(description="What this role may do (the role matrix, access/roles.py).")
    alert_audience: str | None = Field(description="The alerts this role sees; None: every alert.")
    regulator_only: bool = Field(description="Complaint data limited to regulator-forwarded complaints.")


@router.get("/session", response_model=SessionOut)
async def get_session(principal: Annotated[Principal, Depends(require("status.read"))]) -> SessionOut:
    """Who the token belongs to and what its role may do."""
    return SessionOut(
        name=principal.name,
        role=principal.role,
        permissions=list(permissions_of(principal.role)),
        alert_audience=ALERT_AUDIENCE.get(principal.role),
        regulator_only=principal.regulator_only,
    )
