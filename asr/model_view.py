"""A model "view": the files of a Vosk model, with feature options of our own.

Vosk adds random dither to the audio features by default, so the same audio can give different
words from run to run. Tests (and anyone comparing runs) need repeatable output, but the model
itself (often inside an installed package) must not be edited. A view is a directory of symlinks
to the model's files with its own copy of ``conf/mfcc.conf`` carrying the extra options
(``--dither=0.0`` by default); it costs no disk space and loads like the original.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["NO_DITHER", "make_model_view"]

#: The option that makes feature extraction deterministic.
NO_DITHER: tuple[str, ...] = ("--dither=0.0",)
_MFCC = Path("conf") / "mfcc.conf"


def make_model_view(source: Path, dest: Path, *, mfcc_options: Sequence[str] = NO_DITHER) -> Path:
    """Make ``dest`` a view of the model at ``source`` with ``mfcc_options`` appended; return ``dest``.

    ``dest`` must not exist or be an empty directory; ``source`` must hold ``conf/mfcc.conf``.
    """
    source = Path(source).resolve()
    dest = Path(dest)
    mfcc = source / _MFCC
    if not mfcc.is_file():
        raise FileNotFoundError(f"{source} has no {_MFCC}: not a Vosk model")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name != "conf":
            os.symlink(entry, dest / entry.name)
    (dest / "conf").mkdir()
    for entry in (source / "conf").iterdir():
        if entry.name != _MFCC.name:
            os.symlink(entry, dest / "conf" / entry.name)
    text = mfcc.read_text()
    if text and not text.endswith("\n"):
        text += "\n"
    (dest / _MFCC).write_text(text + "".join(f"{option}\n" for option in mfcc_options))
    return dest
