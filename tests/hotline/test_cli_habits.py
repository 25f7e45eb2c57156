"""`hotline --version`, `hotline rules check` and the choices of options, as a user runs them."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import get_args

import pytest

from access.roles import ROLES
from alerts import AUDIENCES, SEVERITIES
from hotline.cli import ModelConfiguration
from online_models.model_selection import MODEL_CONFIGURATIONS
from streams.agent_sets import AgentSet
from tests.conftest import hotline_cli


def _hotline(*args: str) -> subprocess.CompletedProcess[str]:
    # COLUMNS: help on one line per option
    return hotline_cli(*args, env={**os.environ, "COLUMNS": "200"}, timeout=60)


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


@pytest.mark.parametrize(
    ("command", "option", "choices", "required"),
    [
        ("worker", "--agents", get_args(AgentSet), ()),
        ("watch", "--role", AUDIENCES, ()),
        ("watch", "--min-severity", SEVERITIES, ()),
        ("tokens create", "--role", ROLES, ("--name", "x")),
        ("models eval", "--model", tuple(MODEL_CONFIGURATIONS), ("--train", "x.csv")),
    ],
)
def test_help_lists_the_choices_and_typer_refuses_others(
    command: str, option: str, choices: tuple[str, ...], required: tuple[str, ...]
) -> None:
    shown = _hotline(*command.split(), "--help")
    assert shown.returncode == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if f" {option} " in line)
    assert f"<{'|'.join(choices)}>" in line, line
    refused = _hotline(*command.split(), *required, option, "bogus")
    assert refused.returncode == 2, refused.stdout
    assert f"Invalid value for '{option}'" in refused.stderr and "'bogus' is not one of" in refused.stderr


def test_the_cli_copy_of_the_model_configurations_is_complete() -> None:
    # Kept in hotline.cli so that --help need not import the models.
    assert set(ModelConfiguration) == set(MODEL_CONFIGURATIONS)
