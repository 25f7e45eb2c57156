"""The bottom floor: settings (one pydantic-settings object, ``HOTLINE_*``) and logging set-up.

Imports nothing of ours, so every other package may import it. The YAML files beside it are the
default alert rules and taxonomy (``HOTLINE_RULES_PATH``, ``HOTLINE_TAXONOMY_PATH``)."""
