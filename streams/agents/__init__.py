"""Faust agents, one module per concern; each module's ``install(worker)`` adds its agents to a
worker (:mod:`streams.agent_sets` says which modules a worker installs)."""
