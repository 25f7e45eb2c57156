from __future__ import annotations

import pytest

from alerts import decode_group, encode_group

TRICKY = ["plain", "", "with space", "a|b", "a&b=c", "%41", "分行 №1", "tag=x", "x" * 64]


@pytest.mark.parametrize("value", TRICKY)
def test_round_trip_and_no_separator(value: str) -> None:
    group = encode_group(value, [("branch", value), ("channel", "phone"), ("line", None)])
    assert "|" not in group
    assert decode_group(group) == (value, {"branch": value, "channel": "phone", "line": None})


def test_missing_value_differs_from_empty_value() -> None:
    assert encode_group("t", [("branch", None)]) != encode_group("t", [("branch", "")])


def test_field_order_is_kept() -> None:
    _tag, fields = decode_group(encode_group("t", [("line", "L"), ("branch", "B")]))
    assert list(fields) == ["line", "branch"]


def test_distinct_groups_get_distinct_keys() -> None:
    keys = {
        encode_group(tag, [("branch", branch)])
        for tag in ("a", "a&branch=b", "b")
        for branch in ("b", "b&x", None, "")
    }
    assert len(keys) == 12


def test_key_without_tag_is_rejected() -> None:
    with pytest.raises(ValueError, match="without a tag"):
        decode_group("branch=x")
