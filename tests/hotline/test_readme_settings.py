"""The README's configuration table lists every setting, and nothing that is not one."""

from __future__ import annotations

import re

from config.settings import Settings
from tests.conftest import ROOT


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(HOTLINE_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    expected = {f"HOTLINE_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_code = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_code and "make test" in first_code
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
