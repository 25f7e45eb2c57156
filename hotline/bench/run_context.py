"""What every benchmark reports beside its figures, so a number can be traced and re-measured:
the commit it ran on, the settings that differ from the defaults, and the machine's load before and
after (these machines are shared: a figure taken under load says so)."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from config.settings import Settings

__all__ = ["RunContext", "changed_settings", "current_commit"]

_ROOT = Path(__file__).resolve().parents[2]


def current_commit() -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool}`` of the checkout the code runs from."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=_ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": sha, "dirty": bool(status.strip())}


def changed_settings(settings: Settings) -> dict[str, str]:
    """Every setting whose value differs from its default, as ``HOTLINE_NAME: value`` (secrets and
    values derived per machine, such as generated keys, are left out)."""
    changed: dict[str, str] = {}
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, SecretStr) or field.is_required():
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr) or value == default:
            continue
        changed[f"HOTLINE_{name.upper()}"] = str(value)
    return changed


class RunContext:
    """Opened before a benchmark runs; ``report(result)`` adds the ``run`` block to its JSON.

    Examples
    --------
    >>> context = RunContext(Settings(_env_file=None))
    >>> sorted(context.report({"x": 1})["run"])
    ['commit', 'cpus', 'dirty', 'load_after', 'load_before', 'python', 'seconds', 'settings_changed']
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.load_before = [round(x, 2) for x in os.getloadavg()]
        self.started = time.monotonic()

    def report(self, result: dict[str, Any]) -> dict[str, Any]:
        return {
            **result,
            "run": {
                **current_commit(),
                "settings_changed": changed_settings(self.settings),
                "load_before": self.load_before,
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "seconds": round(time.monotonic() - self.started, 1),
            },
        }
