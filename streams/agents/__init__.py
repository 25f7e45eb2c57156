"""Faust agents; importing this package registers them with the app."""

from streams.agents.classify import classify_complaints
from streams.agents.windows import count_windows

__all__ = ["classify_complaints", "count_windows"]
