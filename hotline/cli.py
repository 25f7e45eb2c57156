"""The ``hotline`` command: local stack, processes, models, traffic and benchmarks."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from hotline.local_secrets import LOCAL_SECRETS, ensure_local_secrets
from hotline.local_services.base import ServiceError
from hotline.settings import Settings, get_settings

__all__ = ["main"]

app = typer.Typer(
    help="Hotline Monitor: real-time monitoring of a bank's complaint hotline.", no_args_is_help=True
)
services_app = typer.Typer(
    help="The local stack: Kafka-compatible broker, Redis, ClickHouse.", no_args_is_help=True
)
models_app = typer.Typer(help="Complaint-tagging models.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks; each prints one JSON object on its last line.", no_args_is_help=True
)
app.add_typer(services_app, name="services")
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")

log = logging.getLogger("hotline")


def _settings() -> Settings:
    """Settings with local secrets filled in (values already in the environment win)."""
    if not all(os.environ.get(name) for name in LOCAL_SECRETS):
        ensure_local_secrets(Settings().state_dir)
    get_settings.cache_clear()
    return get_settings()


def _setup_logging() -> None:
    logging.basicConfig(
        level=Settings().log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


# -- services -------------------------------------------------------------------------------------
@services_app.command("start")
def services_start() -> None:
    """Start the broker, Redis and ClickHouse on loopback (idempotent)."""
    from hotline.local_stack import start_services

    try:
        for line in start_services(_settings()):
            typer.echo(line)
    except ServiceError as exc:
        raise _fail(str(exc)) from exc


@services_app.command("stop")
def services_stop() -> None:
    """Stop what `services start` started."""
    from hotline.local_stack import stop_services

    for line in stop_services(_settings()):
        typer.echo(line)


@services_app.command("status")
def services_status() -> None:
    """What runs where."""
    from hotline.local_stack import status_services

    statuses = status_services(_settings())
    for s in statuses:
        mark = (
            typer.style("up  ", fg=typer.colors.GREEN)
            if s.running
            else typer.style("down", fg=typer.colors.RED)
        )
        typer.echo(f"{mark} {s.name:<14} {s.where:<22} {s.detail}")
    if not all(s.running for s in statuses):
        raise typer.Exit(code=3)


# -- processes ------------------------------------------------------------------------------------
@app.command()
def worker() -> None:
    """Run one stream worker (Faust) against the configured broker."""
    _settings()
    from streams.worker_main import run_worker

    run_worker()


@app.command()
def api() -> None:
    """Serve the HTTP API, websockets and dashboard."""
    import uvicorn

    settings = _settings()
    from api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        access_log=settings.api_access_log,
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=5,
    )


@app.command()
def up(
    demo: Annotated[bool, typer.Option(help="Also bootstrap a model and run the traffic simulator.")] = False,
    data: Annotated[
        Path | None, typer.Option(help="Labelled CSV (text,category) for the demo model.")
    ] = None,
    rate: Annotated[float, typer.Option(help="Simulated complaints per second (--demo).")] = 5.0,
) -> None:
    """Start the local stack, a worker and the API (and with --demo, a simulator); Ctrl-C stops all."""
    from hotline.launcher import run_up

    _setup_logging()
    try:
        code = run_up(_settings(), demo=demo, data=data, rate=rate)
    except (ServiceError, FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    raise typer.Exit(code=code)


@app.command()
def simulate(
    rate: Annotated[float, typer.Option(min=0.1, help="Complaints per second on average.")] = 5.0,
    data: Annotated[
        Path | None, typer.Option(help="CSV with a `text` column to draw complaints from.")
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).")
    ] = None,
) -> None:
    """Send realistic complaint traffic to the API, with a surge of one topic every few minutes."""
    from hotline.simulator import run_simulator

    _setup_logging()
    settings = _settings()
    asyncio.run(run_simulator(settings, data=data or settings.bootstrap_data, rate=rate, seconds=seconds))


# -- models ---------------------------------------------------------------------------------------
@models_app.command("bootstrap")
def models_bootstrap(
    file: Annotated[Path, typer.Argument(help="CSV with a text column and a label column.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option(help="Column holding the tag.")] = "category",
    dimension: Annotated[str | None, typer.Option(help="Taxonomy dimension the labels belong to.")] = None,
) -> None:
    """Learn a tagger from FILE in one pass and publish it, signed, to the model registry."""
    from hotline.model_bootstrap import bootstrap_model

    _setup_logging()
    settings = _settings()
    try:
        version = asyncio.run(
            bootstrap_model(settings, file, text_col=text_col, label_col=label_col, dimension=dimension)
        )
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"published model {version}")


# -- benchmarks -----------------------------------------------------------------------------------
@bench_app.command("pipeline")
def bench_pipeline(
    events: Annotated[int, typer.Option(min=1, help="Complaints to send.")] = 20_000,
    rate: Annotated[
        float | None, typer.Option(help="Target complaints per second (default: as fast as it goes).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Complaints per ingest request.")] = 100,
) -> None:
    """Send EVENTS complaints through the running stack; measure throughput and POST-to-visible latency."""
    import orjson

    from hotline.bench.pipeline import run_pipeline_bench

    _setup_logging()
    result = asyncio.run(run_pipeline_bench(_settings(), events=events, rate=rate, batch=batch))
    typer.echo(orjson.dumps(result).decode())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
