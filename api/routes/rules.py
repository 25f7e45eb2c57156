"""Read and replace the alert rules: ``GET/PUT /api/v1/rules``.

A PUT is validated exactly like the rules file (a bad rule is a 422 naming the rule, the field and
the problem, every problem at once) and then published in Redis, where every worker picks it up
within ``HOTLINE_RULES_RELOAD_S`` without a restart. The body is either YAML (``Content-Type:
application/yaml``, comments kept) or JSON with the same structure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import yaml
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from access.roles import Principal
from alerts import RuleSet, RuleValidationError, parse_rules
from api.audit import AuditDep
from api.auth import require
from api.deps import RedisDep, SettingsDep
from api.errors import problem_response
from storage.alert_rules_store import RulesStore

__all__ = ["RulesOut", "router"]

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])

_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
_JSON_TYPES = ("application/json",)

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The whole rules document (same structure as config/rules.yaml).",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["rules"],
                    "properties": {"rules": {"type": "array"}},
                }
            },
        },
    }
}


class RulesOut(BaseModel):
    """The rules in force: where they come from, the document as written, and the parsed rules."""

    source: Literal["file", "api"]
    revision: int | None
    updated_at: float
    yaml: str
    rules: list[dict[str, Any]]
    webhooks: list[dict[str, Any]]


def _out(
    rules: RuleSet, *, source: Literal["file", "api"], revision: int | None, updated_at: float, text: str
) -> RulesOut:
    dumped = rules.model_dump(mode="json")
    return RulesOut(
        source=source,
        revision=revision,
        updated_at=updated_at,
        yaml=text,
        rules=dumped["rules"],
        webhooks=dumped.get("webhooks", []),
    )


def _read_file(path: Path) -> tuple[str, float]:
    try:
        return path.read_text(encoding="utf-8"), path.stat().st_mtime
    except OSError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot read the rules file: {exc}"
        ) from exc


def _invalid(problems: tuple[str, ...] | list[str]) -> JSONResponse:
    return problem_response(
        status.HTTP_422_UNPROCESSABLE_ENTITY, "; ".join(problems[:5]), problems=list(problems)
    )


@router.get("", response_model=RulesOut, dependencies=[Depends(require("rules.read"))])
async def get_rules(settings: SettingsDep, redis: RedisDep) -> RulesOut:
    """The rules in force: the published document, or the rules file when it was edited since."""
    published = await RulesStore(redis, key_prefix=settings.redis_key_prefix).get()
    text, mtime = _read_file(settings.rules_path)
    if published is not None and published.updated_at >= mtime:
        try:
            rules = parse_rules(published.yaml)
        except RuleValidationError as exc:  # published under another version of the rule schema
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"the published rules r{published.revision} no longer validate: {'; '.join(exc.problems)}",
            ) from exc
        return _out(
            rules,
            source="api",
            revision=published.revision,
            updated_at=published.updated_at,
            text=published.yaml,
        )
    try:
        rules = parse_rules(text, source=str(settings.rules_path))
    except RuleValidationError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the rules file is invalid: {'; '.join(exc.problems)}"
        ) from exc
    return _out(rules, source="file", revision=None, updated_at=mtime, text=text)


@router.put(
    "",
    response_model=RulesOut,
    openapi_extra=_BODY_DOC,
    responses={422: {"description": "Invalid rules"}},
)
async def put_rules(
    request: Request,
    settings: SettingsDep,
    redis: RedisDep,
    principal: Annotated[Principal, Depends(require("rules.write"))],
    audit: AuditDep,
) -> RulesOut | JSONResponse:
    """Validate and publish a new rules document; workers apply it within the reload interval."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body.strip():
        # An empty body is a mistake, never "no rules": that is `{"rules": []}`, said on purpose.
        return _invalid(['the request has no rules document (send {"rules": []} to publish none)'])
    if media_type in _JSON_TYPES:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return _invalid([f"not valid JSON: {exc}"])
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    elif media_type in _YAML_TYPES or not media_type:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _invalid(["the body must be UTF-8 text"])
    else:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the rules as application/yaml or application/json"
        )
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return _invalid([f"not valid YAML: {exc}"])
    if not isinstance(document, dict) or "rules" not in document:  # `null`, `{}`, a list, a bare word
        return _invalid(['the rules document must be a mapping with a "rules" list'])
    try:
        rules = parse_rules(text)
    except RuleValidationError as exc:
        return _invalid(exc.problems)
    updated_at = time.time()
    client = request.client.host if request.client else ""
    revision = await RulesStore(redis, key_prefix=settings.redis_key_prefix).publish(
        text, updated_at=updated_at, updated_by=client
    )
    await audit(principal, "rules.replace", "rules", {"revision": revision, "rules": len(rules)})
    return _out(rules, source="api", revision=revision, updated_at=updated_at, text=text)
