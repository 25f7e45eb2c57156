"""A correction changes the tagger's answer for that text at once, and the taxonomy drives the
tagger's dimensions and keyword rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from online_models import (
    LabelMemory,
    Tagger,
    apply_taxonomy,
    dumps_signed,
    load_taxonomy,
    loads_signed,
    parse_taxonomy,
    tagger_from_taxonomy,
)

ROOT = Path(__file__).resolve().parents[2]
TRAIN = [
    ("my card has not arrived yet", "card_arrival"),
    ("still waiting for my new card", "card_arrival"),
    ("when will my card be delivered", "card_arrival"),
    ("someone stole my card", "lost_or_stolen_card"),
    ("I lost my card on the bus", "lost_or_stolen_card"),
    ("my wallet with the card was stolen", "lost_or_stolen_card"),
] * 10


@pytest.fixture
def tagger() -> Tagger:
    tagger = tagger_from_taxonomy(load_taxonomy(ROOT / "config" / "taxonomy.yaml"), name="t")
    tagger.learn_many([t for t, _ in TRAIN], "banking77", [y for _, y in TRAIN])
    return tagger


def _tag(tagger: Tagger, text: str, dimension: str = "banking77") -> tuple[str, str] | None:
    found = [r for r in tagger.predict_one(text) if r.dimension == dimension]
    return (found[0].tag, found[0].source) if found else None


def test_one_correction_changes_the_prediction_for_that_text(tagger: Tagger) -> None:
    text = "My card has still not come, where is it?"
    assert _tag(tagger, text) == ("card_arrival", "model")
    before = tagger.version
    tagger.learn_one(text, "banking77", "lost_or_stolen_card")
    assert tagger.version != before
    assert _tag(tagger, text) == ("lost_or_stolen_card", "model")
    assert _tag(tagger, "  my CARD has still not come, where is it?") == ("lost_or_stolen_card", "model")
    assert tagger.predict_one(text)[-1].confidence == 1.0
    # other texts still go by the model
    assert _tag(tagger, "my card has not arrived") == ("card_arrival", "model")
    # the correction survives a snapshot
    restored = loads_signed(dumps_signed(tagger, b"k" * 32), b"k" * 32)
    assert isinstance(restored, Tagger)
    assert _tag(restored, text) == ("lost_or_stolen_card", "model")


def test_the_latest_correction_wins_and_memory_is_bounded() -> None:
    memory = LabelMemory(capacity=100)
    memory.remember([f"text {i}" for i in range(250)], ["a"] * 250)
    assert len(memory) == 100
    assert memory.recall_many(["text 0", "text 249"]) == [None, "a"]
    memory.remember(["text 249"], ["b"])
    assert memory.recall_many(["TEXT 249"]) == ["b"]


def test_taxonomy_keywords_tag_chinese_and_english_before_any_label(tagger: Tagger) -> None:
    results = {
        r.dimension: (r.tag, r.source) for r in tagger.predict_one("信用卡被收了很高的手续费，要求退款")
    }
    assert results["business_line"] == ("credit_card", "rules")
    assert results["cause"] == ("fees_pricing", "rules")
    assert results["demand"] == ("refund", "rules")
    english = {r.dimension: r.tag for r in tagger.predict_one("The debt collectors keep harassing me")}
    assert english["cause"] == "debt_collection"
    assert "business_line" not in {r.dimension for r in tagger.predict_one("hello there")}


def test_predicting_only_some_dimensions(tagger: Tagger) -> None:
    [results] = tagger.predict_many(["信用卡手续费"], dimensions=["cause"])
    assert [r.dimension for r in results] == ["cause"]
    with pytest.raises(KeyError, match="unknown dimension"):
        tagger.predict_many(["x"], dimensions=["nope"])


def test_taxonomy_edits_keep_what_was_learned(tagger: Tagger) -> None:
    spec = (
        "dimensions: [{id: %s, name: {zh: 甲, en: A},"
        " tags: [{id: t, name: {zh: 乙, en: B}, keywords: {en: [%s]}}]}]"
    )
    before = tagger.version
    changes = apply_taxonomy(tagger, parse_taxonomy(spec % ("banking77", "zebra")))
    assert "removed dimension cause" in changes and "new keywords for banking77" in changes
    assert sorted(tagger.dimensions) == ["banking77"]
    assert tagger.version != before and tagger.version.startswith("t-60.")
    assert _tag(tagger, "my card has not arrived yet") == ("card_arrival", "model")  # still learned
    assert apply_taxonomy(tagger, parse_taxonomy(spec % ("banking77", "zebra"))) == []
    assert apply_taxonomy(tagger, parse_taxonomy(spec % ("channel", "zebra"))) == [
        "added dimension channel",
        "removed dimension banking77",
    ]
    assert _tag(tagger, "a zebra", "channel") == ("t", "rules")
