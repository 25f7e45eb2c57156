"""Faust agents, one module per concern; :mod:`streams.agent_sets` imports (registers) the ones a
worker runs."""
