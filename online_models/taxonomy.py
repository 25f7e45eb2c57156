"""The tag taxonomy: dimensions, each a list or tree of tags with Chinese and English names and the
keywords that tag a complaint before a model has learned the dimension.

One YAML file (``config/taxonomy.yaml``) is the source of truth for what may be predicted and
labelled: the API refuses labels outside it, the learner builds the tagger's dimensions and
keyword rules from it. A file that does not validate is refused as a whole, with one line per
problem naming the dimension, tag and field (``dimension 'cause', tag 'fees': name.zh: Field
required``), never half-applied.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from online_models.featurizers import normalize_text

__all__ = [
    "DimensionSpec",
    "DisplayName",
    "Keywords",
    "TagSpec",
    "Taxonomy",
    "TaxonomyError",
    "TaxonomyFile",
    "UnknownLabelError",
    "load_taxonomy",
    "parse_taxonomy",
]

#: Ids are ASCII slugs (display names carry the languages); ``?`` because a banking77 intent has one.
SLUG_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.?:-]{0,63}"
_SLUG_RE = re.compile(SLUG_PATTERN)
Slug = Annotated[str, StringConstraints(pattern=f"^{SLUG_PATTERN}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
#: How deep a tag tree may go (dimension > tag > child > grandchild): deeper trees are a smell.
MAX_TAG_DEPTH = 3


class TaxonomyError(ValueError):
    """The taxonomy file is missing or invalid; the message has one line per problem."""


class UnknownLabelError(ValueError):
    """A label names a dimension or tag the taxonomy does not have."""

    def __init__(self, message: str, *, field: Literal["dimension", "tag"]) -> None:
        super().__init__(message)
        self.field = field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisplayName(_Spec):
    """What people see: both languages are required."""

    zh: Text
    en: Text


class Keywords(_Spec):
    """Phrases that tag a complaint by themselves (Latin ones match whole words, CJK ones anywhere)."""

    zh: list[Text] = Field(default_factory=list)
    en: list[Text] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.zh, *self.en]


class TagSpec(_Spec):
    """One tag; ``children`` make a tree (a parent tag is a valid label too)."""

    id: Slug
    name: DisplayName
    keywords: Keywords = Field(default_factory=Keywords)
    children: list[TagSpec] = Field(default_factory=list)

    def walk(self, depth: int = 1) -> Iterator[tuple[TagSpec, int]]:
        yield self, depth
        for child in self.children:
            yield from child.walk(depth + 1)


class DimensionSpec(_Spec):
    """One way of tagging a complaint (business line, product, cause, ...).

    ``model``: ``default`` is the most accurate model (~50 MB per dimension); ``light`` is naive
    Bayes alone (~5 MB, about a point less accurate) for dimensions with many tags or little data.
    ``open``: labels may also use tags the file does not list (they become tags when learned).
    """

    id: Slug
    name: DisplayName
    description: str | None = None
    model: Literal["default", "light"] = "light"
    open: bool = False
    tags: list[TagSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_tags_and_keywords(self) -> DimensionSpec:
        seen: set[str] = set()
        keyword_owner: dict[str, str] = {}
        for tag, depth in self.walk():
            if depth > MAX_TAG_DEPTH:
                raise ValueError(f"tag {tag.id!r} is nested {depth} deep; at most {MAX_TAG_DEPTH} levels")
            if tag.id in seen:
                raise ValueError(f"tag id {tag.id!r} appears twice")
            seen.add(tag.id)
            for word in tag.keywords.all():
                key = normalize_text(word)
                if key in keyword_owner and keyword_owner[key] != tag.id:
                    owner = keyword_owner[key]
                    raise ValueError(f"keyword {word!r} is listed under both {owner!r} and {tag.id!r}")
                keyword_owner[key] = tag.id
        return self

    def walk(self) -> Iterator[tuple[TagSpec, int]]:
        """Every tag of the tree, parents before children, with its depth (1 = top level)."""
        for tag in self.tags:
            yield from tag.walk()

    @property
    def tag_ids(self) -> list[str]:
        return [tag.id for tag, _ in self.walk()]

    def tag(self, tag_id: str) -> TagSpec | None:
        return next((tag for tag, _ in self.walk() if tag.id == tag_id), None)

    def keywords(self) -> dict[str, list[str]]:
        """``{tag: [keyword, ...]}`` for the tags that have keywords."""
        return {tag.id: tag.keywords.all() for tag, _ in self.walk() if tag.keywords.all()}


class Taxonomy(_Spec):
    """Every dimension, in file order.

    Examples
    --------
    >>> taxonomy = parse_taxonomy('''
    ... dimensions:
    ...   - id: product
    ...     name: {zh: 产品, en: Product}
    ...     tags:
    ...       - id: credit_card
    ...         name: {zh: 信用卡, en: Credit card}
    ...         keywords: {zh: [信用卡], en: [credit card]}
    ...       - id: loan
    ...         name: {zh: 贷款, en: Loan}
    ...         children:
    ...           - {id: mortgage, name: {zh: 房贷, en: Mortgage}}
    ... ''')
    >>> taxonomy.dimension_ids, taxonomy.dimension("product").tag_ids
    (['product'], ['credit_card', 'loan', 'mortgage'])
    >>> taxonomy.keywords()
    {'product': {'credit_card': ['信用卡', 'credit card']}}
    >>> taxonomy.check_label("product", "mortgage")
    >>> try:
    ...     taxonomy.check_label("product", "car_loan")
    ... except UnknownLabelError as exc:
    ...     print(exc.field, "|", exc)
    tag | unknown tag 'car_loan' for dimension 'product'; known: ['credit_card', 'loan', 'mortgage']
    """

    version: int = 1
    dimensions: list[DimensionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_dimensions(self) -> Taxonomy:
        ids = [d.id for d in self.dimensions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"dimension id(s) {duplicates} appear more than once")
        return self

    @property
    def dimension_ids(self) -> list[str]:
        return [d.id for d in self.dimensions]

    def dimension(self, dimension_id: str) -> DimensionSpec:
        """The dimension, or ``UnknownLabelError`` naming the known ones."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise UnknownLabelError(
            f"unknown dimension {dimension_id!r}; known: {self.dimension_ids}", field="dimension"
        )

    def check_label(self, dimension_id: str, tag_id: str) -> None:
        """``UnknownLabelError`` unless ``tag_id`` may label ``dimension_id``."""
        dimension = self.dimension(dimension_id)
        if dimension.tag(tag_id) is not None:
            return
        if dimension.open:
            if not _SLUG_RE.fullmatch(tag_id):
                raise UnknownLabelError(
                    f"tag {tag_id!r} for dimension {dimension_id!r} is not a valid id"
                    " (ASCII letters, digits and _.?:-, at most 64)",
                    field="tag",
                )
            return
        raise UnknownLabelError(
            f"unknown tag {tag_id!r} for dimension {dimension_id!r}; known: {_preview(dimension.tag_ids)}",
            field="tag",
        )

    def keywords(self) -> dict[str, dict[str, list[str]]]:
        """``{dimension: {tag: [keyword, ...]}}`` for the tagger's cold-start rules."""
        return {d.id: d.keywords() for d in self.dimensions if d.keywords()}


def _preview(ids: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return f"[{shown}{', ...' if len(ids) > limit else ''}]"


def _describe(raw: Any, loc: tuple[int | str, ...]) -> str:
    """``dimension 'cause', tag 'fees': name.zh`` for a pydantic error location in ``raw``."""
    parts: list[str] = []
    fields: list[str] = []
    node = raw
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in ("dimensions", "tags", "children") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = int(loc[i + 1])
            items = node.get(key) if isinstance(node, Mapping) else None
            node = items[index] if isinstance(items, list) and index < len(items) else None
            ident = node.get("id") if isinstance(node, Mapping) else None
            kind = "dimension" if key == "dimensions" else "tag"
            parts.append(f"{kind} {ident!r}" if ident else f"{kind} #{index + 1}")
            i += 2
            continue
        fields.append(str(key))
        node = node.get(key) if isinstance(node, Mapping) else None
        i += 1
    where = ", ".join(parts)
    field = ".".join(fields)
    return f"{where}: {field}" if where and field else where or field or "file"


def parse_taxonomy(text: str, *, source: str = "taxonomy") -> Taxonomy:
    """Validate YAML text; ``TaxonomyError`` with one line per problem otherwise."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise TaxonomyError(f"{source}: expected a mapping with a `dimensions` list at the top")
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: {_describe(raw, loc)}: {message}")
        raise TaxonomyError("\n".join(lines)) from None


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"taxonomy file not found: {path}") from None
    return parse_taxonomy(text, source=str(path))


class TaxonomyFile:
    """A taxonomy file re-read when it changes (by modification time and size).

    ``current()`` returns the last valid taxonomy; an edit that does not validate raises
    ``TaxonomyError`` once from ``refresh()`` and leaves the previous taxonomy in force.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._taxonomy: Taxonomy | None = None

    def _file_stamp(self) -> tuple[int, int]:
        stat = os.stat(self.path)
        return stat.st_mtime_ns, stat.st_size

    def refresh(self) -> bool:
        """Re-read the file if it changed; True when a new taxonomy is in force."""
        try:
            stamp = self._file_stamp()
        except FileNotFoundError:
            if self._taxonomy is None:
                raise TaxonomyError(f"taxonomy file not found: {self.path}") from None
            return False
        if stamp == self._stamp:
            return False
        self._stamp = stamp  # a broken edit is reported once, not on every call
        taxonomy = load_taxonomy(self.path)
        changed = taxonomy != self._taxonomy
        self._taxonomy = taxonomy
        return changed

    def current(self) -> Taxonomy:
        """The taxonomy in force (read on first use; ``TaxonomyError`` if it never validated)."""
        if self._taxonomy is None:
            self.refresh()
        if self._taxonomy is None:
            raise TaxonomyError(f"no valid taxonomy in {self.path}")
        return self._taxonomy
