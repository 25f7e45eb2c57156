"""The alert rules a worker evaluates, re-read when the rules file changes (no restart needed)."""

from __future__ import annotations

import logging
from pathlib import Path

from alerts import RuleSet, RuleValidationError, load_rules

__all__ = ["RulesSource"]

log = logging.getLogger(__name__)


class RulesSource:
    """Current rules from ``path``; a broken edit is logged and the last good rules stay in force."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime_ns: int | None = None
        self.rules: RuleSet = load_rules(path)
        self._mtime_ns = path.stat().st_mtime_ns
        log.info("loaded %d alert rule(s) from %s", len(self.rules), path)

    def refresh(self) -> bool:
        """Reload when the file changed; True when new rules took effect."""
        try:
            mtime_ns = self.path.stat().st_mtime_ns
        except OSError as exc:
            log.error("cannot read rules file %s (%s); keeping %d rule(s)", self.path, exc, len(self.rules))
            return False
        if mtime_ns == self._mtime_ns:
            return False
        self._mtime_ns = mtime_ns
        try:
            self.rules = load_rules(self.path)
        except (RuleValidationError, OSError) as exc:
            log.error("rules file %s is invalid, keeping the previous rules: %s", self.path, exc)
            return False
        log.info("reloaded %d alert rule(s) from %s", len(self.rules), self.path)
        return True
