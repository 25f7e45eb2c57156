"""How a worker's rules follow the rules file and the document published through the API."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storage.alert_rules_store import PublishedRules
from streams.rules_source import RulesSource

RULE = """
rules:
  - {{id: {id}, kind: threshold, title: t, severity: info, dimension: d, tag: a,
     window_seconds: 60, threshold: 1}}
"""


def _write(path: Path, rule_id: str, mtime: float) -> None:
    path.write_text(RULE.format(id=rule_id))
    os.utime(path, (mtime, mtime))


def _ids(source: RulesSource) -> list[str]:
    return [rule.id for rule in source.rules.rules]


def test_newest_source_wins_and_broken_edits_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    now = time.time()
    _write(path, "from-file", now - 100)
    source = RulesSource(path)
    assert _ids(source) == ["from-file"]
    # A document published before the file was last edited does not override the file at start...
    assert not source.apply_published(PublishedRules(RULE.format(id="old-api"), 1, now - 200, ""))
    assert _ids(source) == ["from-file"]
    # ...but every later publish does.
    assert source.apply_published(PublishedRules(RULE.format(id="new-api"), 2, now - 50, ""))
    assert _ids(source) == ["new-api"] and source.source == "api r2"
    assert not source.apply_published(
        PublishedRules(RULE.format(id="new-api"), 2, now - 50, "")
    )  # same revision
    # A broken publish keeps the rules in force.
    assert not source.apply_published(PublishedRules("rules: [{id: x}]", 3, now - 40, ""))
    assert _ids(source) == ["new-api"]
    # A hand edit of the file after that takes over again.
    _write(path, "edited-file", now - 10)
    assert source.refresh()
    assert _ids(source) == ["edited-file"]
    assert not source.refresh()  # unchanged
    path.write_text("rules: [")  # broken YAML
    os.utime(path, (now, now))
    assert not source.refresh()
    assert _ids(source) == ["edited-file"]


def test_first_publish_newer_than_file_wins_at_start(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    _write(path, "from-file", time.time() - 100)
    source = RulesSource(path)
    assert source.apply_published(PublishedRules(RULE.format(id="from-api"), 7, time.time(), "127.0.0.1"))
    assert _ids(source) == ["from-api"]
    assert not source.apply_published(None)
