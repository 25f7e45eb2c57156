"""The taxonomy file: the shipped one is valid and complete; broken ones are refused with errors
that name the dimension, tag and field."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from online_models import (
    TaxonomyError,
    TaxonomyFile,
    UnknownLabelError,
    load_taxonomy,
    parse_taxonomy,
)
from tests.datasets import BANKING77_CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "taxonomy.yaml"
CATEGORIES = BANKING77_CATEGORIES

VALID = """
dimensions:
  - id: cause
    name: {zh: 投诉原因, en: Cause}
    tags:
      - id: fees
        name: {zh: 收费, en: Fees}
        keywords: {zh: [手续费], en: [fee]}
      - id: service
        name: {zh: 服务, en: Service}
        children:
          - {id: rude_staff, name: {zh: 态度差, en: Rude staff}, keywords: {en: [rude]}}
"""


def test_shipped_taxonomy_has_regulator_dimensions_and_every_banking77_intent() -> None:
    taxonomy = load_taxonomy(SHIPPED)
    assert taxonomy.dimension_ids[:4] == ["business_line", "product", "cause", "demand"]
    banking77 = taxonomy.dimension("banking77")
    if CATEGORIES.is_file():
        assert set(banking77.tag_ids) == set(json.loads(CATEGORIES.read_text()))
    assert banking77.model == "default" and len(banking77.tag_ids) == 77
    for dimension in taxonomy.dimensions:
        for tag, _ in dimension.walk():
            assert tag.name.zh and tag.name.en, (dimension.id, tag.id)
    cause = taxonomy.dimension("cause")
    assert {"fees_pricing", "sales_practice", "debt_collection", "personal_information"} <= set(cause.tag_ids)
    # the regulator categories have keywords in both languages
    keywords = taxonomy.keywords()["business_line"]
    assert "信用卡" in keywords["credit_card"] and "credit card" in keywords["credit_card"]
    # a tree: mortgage is a child of personal_loan, and both are valid labels
    taxonomy.check_label("business_line", "personal_loan")
    taxonomy.check_label("business_line", "mortgage")


def test_labels_outside_the_taxonomy_are_named() -> None:
    taxonomy = parse_taxonomy(VALID)
    taxonomy.check_label("cause", "rude_staff")
    with pytest.raises(UnknownLabelError, match="unknown dimension 'product'; known: \\['cause'\\]") as dim:
        taxonomy.check_label("product", "fees")
    assert dim.value.field == "dimension"
    with pytest.raises(UnknownLabelError, match="unknown tag 'late_fee' for dimension 'cause'") as tag:
        taxonomy.check_label("cause", "late_fee")
    assert tag.value.field == "tag"


def test_open_dimensions_accept_new_tags_but_not_malformed_ones() -> None:
    taxonomy = parse_taxonomy(
        VALID.replace(
            "    name: {zh: 投诉原因, en: Cause}", "    open: true\n    name: {zh: 投诉原因, en: Cause}"
        )
    )
    taxonomy.check_label("cause", "brand_new_tag")
    with pytest.raises(UnknownLabelError, match="not a valid id"):
        taxonomy.check_label("cause", "has spaces")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("name: {zh: 收费, en: Fees}", "name: {en: Fees}"),
            "dimension 'cause', tag 'fees': name.zh: Field required",
        ),
        (
            (
                "{id: rude_staff, name: {zh: 态度差, en: Rude staff}",
                "{id: fees, name: {zh: 态度差, en: Rude staff}",
            ),
            "dimension 'cause': tag id 'fees' appears twice",
        ),
        (
            ("keywords: {en: [rude]}", "keywords: {en: [FEE]}"),
            "keyword 'FEE' is listed under both 'fees' and 'rude_staff'",
        ),
        (
            ("- id: fees", "- id: 'bad id'"),
            "dimension 'cause', tag 'bad id': id: String should match pattern",
        ),
        (
            ("keywords: {zh: [手续费], en: [fee]}", "keywords: {zh: [手续费], fr: [frais]}"),
            "tag 'fees': keywords.fr: Extra inputs",
        ),
        (
            ("  - id: cause", "  - id: cause\n    model: huge"),
            "dimension 'cause': model: Input should be 'default' or 'light'",
        ),
    ],
)
def test_invalid_files_say_where_and_what(edit: tuple[str, str], message: str) -> None:
    text = VALID.replace(*edit)
    assert text != VALID
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text, source="t.yaml")
    assert message in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("t.yaml: ")


def test_structural_errors() -> None:
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        parse_taxonomy("dimensions: [", source="t.yaml")
    with pytest.raises(TaxonomyError, match="expected a mapping"):
        parse_taxonomy("- just a list", source="t.yaml")
    with pytest.raises(TaxonomyError, match="appear more than once"):
        parse_taxonomy(VALID + VALID.split("dimensions:")[1], source="t.yaml")
    deep = VALID.replace(
        "keywords: {en: [rude]}}",
        "keywords: {en: [rude]}, children: [{id: a, name: {zh: 甲, en: A},"
        " children: [{id: b, name: {zh: 乙, en: B}}]}]}",
    )
    with pytest.raises(TaxonomyError, match="nested 4 deep"):
        parse_taxonomy(deep)
    with pytest.raises(TaxonomyError, match="taxonomy file not found"):
        load_taxonomy("/nonexistent/taxonomy.yaml")


def test_file_is_reread_on_change_and_a_broken_edit_keeps_the_previous(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(VALID, encoding="utf-8")
    source = TaxonomyFile(path)
    assert source.current().dimension("cause").tag_ids == ["fees", "service", "rude_staff"]
    assert source.refresh() is False  # unchanged

    def edit(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        stamp = time.time() + 2  # make sure the modification time moves on coarse file systems
        os.utime(path, (stamp, stamp))

    edit(VALID.replace("id: fees", "id: fees_pricing"))
    assert source.refresh() is True
    assert "fees_pricing" in source.current().dimension("cause").tag_ids

    edit("dimensions: []")
    with pytest.raises(TaxonomyError, match="dimensions"):
        source.refresh()
    assert source.refresh() is False  # reported once
    assert "fees_pricing" in source.current().dimension("cause").tag_ids
