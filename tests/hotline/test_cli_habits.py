"""`hotline --version` and `hotline rules check`, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.conftest import ROOT


def _hotline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = _hotline("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"hotline-monitor {version('hotline-monitor')}"


def test_rules_check_passes_the_shipped_file_and_names_every_problem(tmp_path: Path) -> None:
    shipped = _hotline("rules", "check", "config/rules.yaml")
    assert shipped.returncode == 0 and shipped.stdout.strip().endswith("valid"), shipped.stderr
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [{id: a, kind: threshold, severity: loud}]\n")
    result = _hotline("rules", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}: rules[0] (a): title: required" in result.stderr
    assert "severity: must be one of" in result.stderr and "5 problem(s)" in result.stderr
    missing = _hotline("rules", "check", str(tmp_path / "none.yaml"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
