"""Reading a rules file: YAML text in, a validated :class:`~alerts.rules.RuleSet` or a readable error out.

The people who edit ``rules.yaml`` are not Python programmers, so every problem is reported as
``rules[<index>] (<id>): <field>: <problem>`` rather than as a pydantic traceback, all problems at
once, and duplicate YAML keys (which YAML silently resolves to the last one) are errors.

File format::

    rules:
      - id: card-arrival-burst
        kind: threshold
        ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from alerts.rules import RuleSet

__all__ = ["RuleValidationError", "load_rules", "parse_rules"]


class RuleValidationError(ValueError):
    """A rules file that cannot be used; ``problems`` holds one line per problem.

    Examples
    --------
    >>> try:
    ...     parse_rules("rules: [{id: a, kind: threshold, severity: loud}]")
    ... except RuleValidationError as exc:
    ...     problems = exc.problems
    >>> problems[0]
    'rules[0] (a): title: required'
    >>> problems[1]
    "rules[0] (a): severity: must be one of 'info', 'warning' or 'critical'"
    """

    def __init__(self, problems: Sequence[str], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        header = [f"invalid rules file {source}:"] if source else []
        super().__init__("\n".join(header + list(self.problems)))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_rules(text: str, *, source: str | None = None) -> RuleSet:
    """Validate rules from YAML ``text``; an empty document is an empty rule set.

    Raises
    ------
    RuleValidationError
        With every problem found, each naming the rule and the field.

    Examples
    --------
    >>> rs = parse_rules('''
    ... rules:
    ...   - id: card-arrival-burst
    ...     kind: threshold
    ...     title: Card arrival burst
    ...     severity: warning
    ...     dimension: banking77
    ...     tag: card_arrival
    ...     window_seconds: 60
    ...     threshold: 20
    ... ''')
    >>> rs.rules[0].id, rs.rules[0].audiences
    ('card-arrival-burst', ('monitoring',))
    >>> parse_rules("rules: [{id: x, kind: threshold, title: t, severity: info, dimension: d, tag: a,"
    ...             " window_seconds: 0, threshold: 1}]")
    Traceback (most recent call last):
    ...
    alerts.rules_file.RuleValidationError: rules[0] (x): window_seconds: must be > 0
    """
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        raise RuleValidationError([f"not valid YAML: {_yaml_problem(exc)}"], source) from None
    if data is None:
        return RuleSet()
    if not isinstance(data, Mapping):
        raise RuleValidationError(["top level must be a mapping with a 'rules' list"], source)
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        problems = [_describe(error, data) for error in errors if not _is_echo(error, errors)]
        raise RuleValidationError(problems, source) from None


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate the rules file at ``path`` (``OSError`` if it cannot be read)."""
    path = Path(path)
    return parse_rules(path.read_text(encoding="utf-8"), source=str(path))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def _describe(error: ErrorDetails, data: Mapping[str, Any]) -> str:
    """One ``where: field: problem`` line for a pydantic error."""
    loc = error["loc"]
    ctx = error.get("ctx", {})
    if error["type"] == "duplicate_rule_id":
        return f"{_rule_label(data, ctx['index'])}: id: duplicate of rules[{ctx['first']}]"
    if error["type"] == "duplicate_webhook_id":
        return f"{_rule_label(data, ctx['index'], 'webhooks')}: id: duplicate of webhooks[{ctx['first']}]"
    if len(loc) >= 2 and loc[0] == "webhooks" and isinstance(loc[1], int):
        field = _path(loc[2:]) or _MODEL_ERROR_FIELDS.get(error["type"], "webhook")
        return f"{_rule_label(data, loc[1], 'webhooks')}: {field}: {_problem(error)}"
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return f"{_path(loc) or 'rules file'}: {_problem(error)}"
    where = _rule_label(data, loc[1])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return f"{where}: kind: {_problem(error)}"
    # loc[2] is the discriminator value (the rule's kind) pydantic adds inside the union.
    field = _path(loc[3:]) or _MODEL_ERROR_FIELDS.get(error["type"], "rule")
    return f"{where}: {field}: {_problem(error)}"


def _is_echo(error: ErrorDetails, errors: Sequence[ErrorDetails]) -> bool:
    """A list's "too short" that only repeats that its items were invalid (``audiences: [oops]``)."""
    loc = error["loc"]
    return error["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in errors
    )


def _rule_label(data: Mapping[str, Any], index: int, section: str = "rules") -> str:
    items = data.get(section)
    item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
    item_id = item.get("id") if isinstance(item, Mapping) else None
    return f"{section}[{index}] ({item_id})" if isinstance(item_id, str) else f"{section}[{index}]"


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


#: Rule-level errors and the field they are about.
_MODEL_ERROR_FIELDS = {
    "tag_spec": "tag",
    "hop_seconds": "hop_seconds",
    "quiet_seconds": "quiet_seconds",
    "filters": "filters",
    "webhook_url": "url",
}

_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "literal_error": "must be one of {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "must be a lowercase slug (letters, digits, '-' or '_')",
    "union_tag_invalid": "unknown kind {tag!r} (expected {expected_tags})",
    "union_tag_not_found": "required",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "tuple_type": "must be a list",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
}


def _problem(error: ErrorDetails) -> str:
    template = _MESSAGES.get(error["type"])
    if template is not None:
        try:
            return template.format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    message = error["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]
