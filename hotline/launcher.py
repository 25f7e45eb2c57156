"""``hotline up``: the local stack, two workers (tagging, alerts), the API and (with --demo) a model
and a simulator."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from config.settings import Settings
from hotline.local_stack import start_services, status_services, stop_services
from hotline.model_bootstrap import BootstrapSource, bootstrap_model, registry_has_model
from hotline.supervisor import ChildSpec, Supervisor

__all__ = ["run_up"]

log = logging.getLogger(__name__)

#: The demo's deadline clock (``HOTLINE_DEADLINE_TIME_SCALE``, unless set): 60 min of response
#: target pass in one minute, so the simulated handling meets, warns about and breaches deadlines
#: while people watch.
DEMO_DEADLINE_TIME_SCALE = 60
#: The demo's Chinese complaints (another draw of the bootstrap set's generator, none of its rows).
DEMO_ZH_TRAFFIC = Path(__file__).resolve().parents[1] / "data" / "demo" / "zh_traffic.csv"
#: Dimensions of the shipped Chinese bootstrap set (its columns are named after them).
ZH_BOOTSTRAP_DIMENSIONS = ("business_line", "cause")


def _hotline(*args: str) -> list[str]:
    """Argv running a ``hotline`` subcommand with this interpreter (works without the venv on PATH)."""
    return [sys.executable, "-m", "hotline.cli", *args]


#: Where ``hotline up``'s workers serve /metrics: the configured port plus this offset.
WORKER_METRICS_PORT_OFFSETS = {"tagging": 0, "alerts": 1}


def _worker_metrics_ports(settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--metrics-port`` of the tagging and the alerts worker: the configured port and the next."""
    port = settings.worker_metrics_port
    if port == 0:
        return (), ()
    tagging, alerts = (port + WORKER_METRICS_PORT_OFFSETS[agents] for agents in ("tagging", "alerts"))
    return ("--metrics-port", str(tagging)), ("--metrics-port", str(alerts))


def _metrics_urls(settings: Settings) -> str:
    port, host = settings.worker_metrics_port, settings.worker_metrics_host
    if port == 0:
        return ""
    urls = [f"http://{host}:{port + offset}/metrics" for offset in WORKER_METRICS_PORT_OFFSETS.values()]
    return f", workers {' and '.join(urls)}"


def demo_bootstrap_sources(settings: Settings, data: Path | None) -> list[BootstrapSource]:
    """The demo's labelled files: ``data`` (or HOTLINE_BOOTSTRAP_DATA) for HOTLINE_MODEL_DIMENSION,
    and the shipped Chinese set for the business-line and cause dimensions. No model selection:
    it adds about a minute to the demo's start (`hotline models bootstrap` runs it)."""
    sources = [BootstrapSource(data or settings.bootstrap_data, settings.model_dimension)]
    zh = settings.bootstrap_zh_data
    if zh is not None and zh.is_file():
        sources += [
            BootstrapSource(zh, dimension, label_col=dimension)
            for dimension in ZH_BOOTSTRAP_DIMENSIONS
            if dimension != settings.model_dimension
        ]
    return sources


def run_up(settings: Settings, *, demo: bool, data: Path | None, rate: float) -> int:
    """Start everything, supervise until Ctrl-C or a death, stop what we started; the exit code."""
    already = {s.name for s in status_services(settings) if s.running}
    for line in start_services(settings):
        print(f"[up] {line}", flush=True)  # noqa: T201 - the console is this command's interface
    try:
        if demo:
            sources = demo_bootstrap_sources(settings, data)
            names = ", ".join(sorted({str(s.path) for s in sources}))
            print(f"[up] bootstrapping the demo model from {names} ...", flush=True)  # noqa: T201
            version, _ = asyncio.run(bootstrap_model(settings, sources))
            print(f"[up] model {version} published", flush=True)  # noqa: T201
        elif not asyncio.run(registry_has_model(settings)):
            log.warning("no model in the registry: complaints stay untagged until `hotline models bootstrap`")
        env = dict(os.environ)
        if demo:
            env.setdefault("HOTLINE_DEADLINE_TIME_SCALE", str(DEMO_DEADLINE_TIME_SCALE))
        # Two workers: tagging (and everything else) in the app's consumer group, and the
        # per-complaint alerts in their own, so alerts never wait behind tagging.
        metrics_ports = _worker_metrics_ports(settings)
        children = [
            ChildSpec("worker", _hotline("worker", "--agents", "tagging", *metrics_ports[0]), env),
            ChildSpec("alerts", _hotline("worker", "--agents", "alerts", *metrics_ports[1]), env),
            ChildSpec("api", _hotline("api"), env),
        ]
        if demo:
            sim_args = ["simulate", "--rate", str(rate)] + (["--data", str(data)] if data else [])
            if DEMO_ZH_TRAFFIC.is_file() and settings.bootstrap_zh_data is not None:
                sim_args += ["--extra-data", str(DEMO_ZH_TRAFFIC)]  # Chinese complaints too
            children.append(ChildSpec("simulator", _hotline(*sim_args), env, after_ready=True))

        def announce() -> None:
            print(  # noqa: T201
                f"\n[up] Hotline Monitor is running: {settings.api_url}\n"
                f"[up] dashboard {settings.api_url}/  API docs {settings.api_url}/docs\n"
                f"[up] API token: HOTLINE_API_TOKEN in {settings.state_dir / 'secrets.env'}\n"
                f"[up] metrics (same token): {settings.api_url}/metrics{_metrics_urls(settings)}\n"
                "[up] Ctrl-C stops everything.\n",
                flush=True,
            )

        supervisor = Supervisor(children, health_url=f"{settings.api_url}/healthz", on_ready=announce)
        return asyncio.run(supervisor.run())
    finally:
        started_here = [s for s in status_services(settings) if s.running and s.name not in already]
        if started_here:
            for line in stop_services(settings):
                print(f"[up] {line}", flush=True)  # noqa: T201
