"""Secrets for a local stack: generated once into ``<state_dir>/secrets.env`` (mode 0600).

Production passes ``HOTLINE_API_TOKEN``, ``HOTLINE_MODEL_SIGNING_KEY`` and ``HOTLINE_PII_HASH_KEY``
in the environment; a value already in the environment always wins over the file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["LOCAL_SECRETS", "ensure_local_secrets"]

LOCAL_SECRETS = ("HOTLINE_API_TOKEN", "HOTLINE_MODEL_SIGNING_KEY", "HOTLINE_PII_HASH_KEY")


def ensure_local_secrets(state_dir: Path) -> Path:
    """Fill unset secret variables from the local file, creating missing values; returns its path."""
    path = state_dir / "secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name in LOCAL_SECRETS and value:
                stored[name] = value
    changed = False
    for name in LOCAL_SECRETS:
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
            changed = True
        os.environ.setdefault(name, stored[name])
    if changed:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{name}={value}\n" for name, value in stored.items())
    return path
