"""Signed snapshots: refused blobs are never unpickled."""

from __future__ import annotations

import pickle

import pytest

from online_models import (
    HashedNgrams,
    NaiveBayesTextClassifier,
    SnapshotSignatureError,
    dumps_signed,
    loads_signed,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
UNPICKLED: list[str] = []


def _record(tag: str) -> str:
    UNPICKLED.append(tag)
    return tag


class SideEffect:
    """Unpickling this appends to UNPICKLED: proof that pickle.loads ran."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _record, ("unpickled",)


@pytest.fixture(autouse=True)
def clear_record() -> None:
    UNPICKLED.clear()


@pytest.fixture
def forbid_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("pickle.loads must not be reached for a refused blob")

    monkeypatch.setattr(pickle, "loads", refuse)


def test_round_trip_of_a_trained_model() -> None:
    model = NaiveBayesTextClassifier(featurizer=HashedNgrams(n_bits=14))
    model.learn_many(["card stolen", "信用卡被盗"], ["theft", "theft"])
    model.learn_one("atm ate my card", "atm")
    restored = loads_signed(dumps_signed(model, KEY), KEY)
    assert isinstance(restored, NaiveBayesTextClassifier)
    texts = ["stolen card", "atm card"]
    assert restored.predict_many(texts) == model.predict_many(texts)


def test_signed_side_effect_payload_does_run_when_the_key_matches() -> None:
    """Control for the refusal tests: the payload really has a side effect."""
    assert loads_signed(dumps_signed(SideEffect(), KEY), KEY) == "unpickled"
    assert UNPICKLED == ["unpickled"]


@pytest.mark.usefixtures("forbid_unpickling")
def test_wrong_key_is_refused() -> None:
    blob = dumps_signed(SideEffect(), KEY)
    with pytest.raises(SnapshotSignatureError, match="signature"):
        loads_signed(blob, OTHER_KEY)
    assert UNPICKLED == []


@pytest.mark.usefixtures("forbid_unpickling")
def test_unsigned_pickle_is_refused() -> None:
    blob = pickle.dumps(SideEffect())
    with pytest.raises(SnapshotSignatureError, match="not a signed snapshot"):
        loads_signed(blob, KEY)
    assert UNPICKLED == []


@pytest.mark.usefixtures("forbid_unpickling")
@pytest.mark.parametrize("position", [-1, 17, 20, 60])
def test_any_flipped_byte_is_refused(position: int) -> None:
    blob = bytearray(dumps_signed(SideEffect(), KEY))
    blob[position] ^= 0x01
    with pytest.raises(SnapshotSignatureError):
        loads_signed(bytes(blob), KEY)
    assert UNPICKLED == []


@pytest.mark.usefixtures("forbid_unpickling")
def test_payload_swapped_under_a_valid_header_is_refused() -> None:
    good = dumps_signed("harmless", KEY)
    forged = good[: 16 + 1 + 32] + pickle.dumps(SideEffect())
    with pytest.raises(SnapshotSignatureError):
        loads_signed(forged, KEY)
    assert UNPICKLED == []


@pytest.mark.usefixtures("forbid_unpickling")
@pytest.mark.parametrize("blob", [b"", b"HOTLINE-SNAPSHOT", b"HOTLINE-SNAPSHOT\x01short"])
def test_truncated_blobs_are_refused(blob: bytes) -> None:
    with pytest.raises(SnapshotSignatureError):
        loads_signed(blob, KEY)


@pytest.mark.usefixtures("forbid_unpickling")
def test_unknown_format_version_is_refused() -> None:
    blob = bytearray(dumps_signed("x", KEY))
    blob[16] = 99
    with pytest.raises(SnapshotSignatureError, match="version"):
        loads_signed(bytes(blob), KEY)


@pytest.mark.parametrize("key", [b"", b"short"])
def test_short_keys_are_refused(key: bytes) -> None:
    with pytest.raises(ValueError):
        dumps_signed("x", key)
    with pytest.raises(ValueError):
        loads_signed(dumps_signed("x", KEY), key)
