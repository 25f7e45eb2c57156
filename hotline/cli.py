"""The ``hotline`` command: local stack, processes, models, traffic and benchmarks."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from access.roles import Role
from alerts.rule_base import Audience, Severity
from config.settings import Settings, get_settings
from hotline.local_secrets import LOCAL_SECRETS, ensure_local_secrets
from hotline.local_services.base import ServiceError
from streams.agent_sets import AgentSet

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
tokens_app = typer.Typer(help="API tokens with roles (stored hashed in Redis).", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
retention_app = typer.Typer(help="Data retention: drop old ClickHouse partitions.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
rules_app = typer.Typer(help="Alert rules files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

log = logging.getLogger("hotline")


class ModelConfiguration(StrEnum):
    """The names of ``online_models.model_selection.MODEL_CONFIGURATIONS`` (kept here so that
    ``--help`` lists them without importing the models)."""

    default = "default"
    short = "short"
    broad = "broad"
    light = "light"


def _settings() -> Settings:
    """Settings with local secrets filled in (values already in the environment win)."""
    if not all(os.environ.get(name) for name in LOCAL_SECRETS):
        ensure_local_secrets(Settings().state_dir)
    get_settings.cache_clear()
    return get_settings()


def _broker_settings(*, api: bool = False) -> Settings:
    """Settings of a process that talks to the broker: ``auto`` resolved by asking it (the API
    starts even when the broker does not answer)."""
    from hotline.broker_probe import API_PROBE_TIMEOUT_S, BrokerUnreachable, with_broker_kind

    _setup_logging()
    try:
        if api:
            return with_broker_kind(_settings(), timeout_s=API_PROBE_TIMEOUT_S, unreachable="kafka")
        return with_broker_kind(_settings())
    except BrokerUnreachable as exc:
        raise _fail(str(exc)) from None


def _setup_logging() -> None:
    from config.log_setup import configure_logging

    configure_logging(Settings())


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"hotline-monitor {version('hotline-monitor')}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Hotline Monitor: real-time monitoring of a bank's complaint hotline."""


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _echo_json(value: object) -> None:
    """Print ``value`` as one JSON line (the last line of every command that reports figures)."""
    import orjson

    typer.echo(orjson.dumps(value).decode())


BenchRun = Callable[[Settings], dict[str, Any] | Coroutine[Any, Any, dict[str, Any]]]


def _report_bench(
    run: BenchRun, *, settings: Settings | None = None, errors: tuple[type[Exception], ...] = ()
) -> None:
    """Run one benchmark (sync or async) and print its figures with the run's context as JSON;
    ``errors`` are reported as a failed command rather than a traceback."""
    from hotline.bench.run_context import RunContext

    _setup_logging()
    settings = settings or _settings()
    context = RunContext(settings)
    try:
        outcome = run(settings)
        result = outcome if isinstance(outcome, dict) else asyncio.run(outcome)
    except errors as exc:
        raise _fail(str(exc)) from exc
    _echo_json(context.report(result))


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
def worker(
    agents: Annotated[
        AgentSet | None,
        typer.Option(help="Agents this worker runs (default HOTLINE_WORKER_AGENTS, i.e. all)."),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Port of this worker's /metrics (default HOTLINE_WORKER_METRICS_PORT).")
    ] = None,
) -> None:
    """Run one stream worker (Faust) against the configured broker."""
    overrides: dict[str, object] = {}
    if agents is not None:
        overrides["worker_agents"] = agents
    if metrics_port is not None:
        overrides["worker_metrics_port"] = metrics_port
    # The broker kind is asked of the broker (``auto``) before the worker's app is built from it.
    settings = _broker_settings().model_copy(update=overrides)
    from streams.worker_main import run_worker

    run_worker(settings)


@app.command()
def api() -> None:
    """Serve the HTTP API, websockets and dashboard."""
    import uvicorn

    settings = _broker_settings(api=True)
    from api.app import create_app
    from config.log_setup import logging_config

    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=logging_config(settings),
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
    extra_data: Annotated[
        Path | None,
        typer.Option(help="A second CSV (text, category) whose topics join --data's (e.g. Chinese traffic)."),
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this long (default: until Ctrl-C).")
    ] = None,
    ticket_share: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of complaints not forwarded by the regulator that get ticket events too"
            " (forwarded ones always do).",
        ),
    ] = 0.0,
) -> None:
    """Send realistic complaint traffic to the API, with a surge of one topic every few minutes, and
    handle complaints (ticket events with realistic delays, on the HOTLINE_DEADLINE_TIME_SCALE clock)."""
    from hotline.simulator import run_simulator

    _setup_logging()
    settings = _settings()
    asyncio.run(
        run_simulator(
            settings,
            data=data or settings.bootstrap_data,
            rate=rate,
            seconds=seconds,
            ticket_share=ticket_share,
            extra_data=extra_data,
        )
    )


@app.command()
def watch(
    role: Annotated[
        Audience | None,
        typer.Option(
            help="Narrow to monitoring (all), regulator_desk, or oncall (critical and escalations);"
            " default: what the token's role sees (HOTLINE_API_TOKEN)."
        ),
    ] = None,
    min_severity: Annotated[Severity, typer.Option(help="Least severity shown.")] = "info",
    who: Annotated[
        str | None, typer.Option(help="Name recorded when you acknowledge (default: your login).")
    ] = None,
    last_id: Annotated[
        str | None, typer.Option(help="Resume after this stream id (default: only new alerts).")
    ] = None,
) -> None:
    """Show live alerts in the terminal; type `ack #n` to acknowledge, `resolve #n`, `open`, `quit`."""
    import contextlib
    import getpass

    from hotline.watch import FeedRefused, run_watch

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(
                run_watch(
                    _settings(),
                    role=role,
                    min_severity=min_severity,
                    who=who or getpass.getuser(),
                    last_id=last_id,
                )
            )
        except FeedRefused as exc:
            raise _fail(f"the server refused the feed: {exc}") from None


# -- models ---------------------------------------------------------------------------------------
@models_app.command("bootstrap")
def models_bootstrap(
    file: Annotated[Path, typer.Argument(help="CSV with a text column and one or more label columns.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_col: Annotated[
        list[str] | None, typer.Option(help="Column holding a tag (repeat for several dimensions).")
    ] = None,
    dimension: Annotated[
        list[str] | None,
        typer.Option(
            help="Taxonomy dimension of each --label-col, in order (default: the column's name; "
            "HOTLINE_MODEL_DIMENSION for a single `category` column)."
        ),
    ] = None,
    select: Annotated[
        bool, typer.Option(help="Choose each dimension's model configuration by validation on FILE.")
    ] = True,
    group_col: Annotated[
        str | None, typer.Option(help="Validate with folds that keep each value of this column on one side.")
    ] = None,
    time_ordered: Annotated[
        bool, typer.Option(help="FILE is oldest first: validate on its latest 20%.")
    ] = False,
) -> None:
    """Learn a tagger from FILE in one pass and publish it, signed; prints the model choices as JSON."""
    from hotline.model_bootstrap import BootstrapSource, bootstrap_model

    _setup_logging()
    settings = _settings()
    columns = label_col or ["category"]
    if dimension and len(dimension) != len(columns):
        raise _fail(f"got {len(dimension)} --dimension for {len(columns)} --label-col")
    if dimension:
        dimensions = dimension
    elif columns == ["category"]:
        dimensions = [settings.model_dimension]
    else:
        dimensions = columns
    sources = [
        BootstrapSource(
            file,
            dim,
            text_col=text_col,
            label_col=col,
            select=select,
            group_col=group_col,
            time_ordered=time_ordered,
        )
        for col, dim in zip(columns, dimensions, strict=True)
    ]
    try:
        version, reports = asyncio.run(bootstrap_model(settings, sources))
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"published model {version}", err=True)
    _echo_json({"version": version, "dimensions": reports})


@models_app.command("eval")
def models_eval(
    train: Annotated[Path, typer.Option(help="CSV the model learns from, in one pass, in file order.")],
    test: Annotated[Path | None, typer.Option(help="CSV predicted after learning (held out).")] = None,
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option(help="Column holding the tag.")] = "category",
    prequential: Annotated[
        bool, typer.Option(help="Also predict each training batch before learning it (test-then-train).")
    ] = False,
    folds: Annotated[
        int | None, typer.Option(min=2, help="Instead of --test: k-fold cross-validation on --train.")
    ] = None,
    group_col: Annotated[
        str | None,
        typer.Option(help="Instead of --test: folds that keep each value of this column on one side."),
    ] = None,
    time_ordered: Annotated[
        bool, typer.Option(help="Instead of --test: --train is oldest first; hold out its latest 20%.")
    ] = False,
    baseline: Annotated[
        bool, typer.Option(help="Also run River's BagOfWords | MultinomialNB on the same split.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Shuffle of the folds.")] = 0,
    model: Annotated[
        ModelConfiguration, typer.Option(help="Model configuration.")
    ] = ModelConfiguration.default,
) -> None:
    """One online pass over --train, then --test: accuracy, macro_f1, items/s (one core) as one JSON line."""
    from hotline.bench.models import limit_to_one_core

    limit_to_one_core()
    from hotline.model_eval import run_eval

    try:
        result = run_eval(
            train,
            test,
            text_col=text_col,
            label_col=label_col,
            prequential=prequential,
            folds=folds,
            group_col=group_col,
            time_ordered=time_ordered,
            seed=seed,
            model=model.value,
            baseline=baseline,
        )
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    _echo_json(result)


@models_app.command("surge-eval")
def models_surge_eval(
    series: Annotated[Path, typer.Option(help="CSV of timestamp,value rows (one per bucket).")],
    windows: Annotated[Path, typer.Option(help="JSON: [[start, end], ...] or {file name: [...]} (NAB).")],
    false_alarms_per_day: Annotated[
        float | None, typer.Option(help="The surge rule's false-alarm budget (default: the rule's).")
    ] = None,
    cooldown_seconds: Annotated[
        int | None, typer.Option(help="Repeats within this long are one alert (default: the rule's).")
    ] = None,
) -> None:
    """Stream a labelled series through the surge detector; print windows hit, false alarms/day, delay."""
    from hotline.surge_eval import run_surge_eval

    try:
        result = run_surge_eval(
            series, windows, false_alarms_per_day=false_alarms_per_day, cooldown_seconds=cooldown_seconds
        )
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    _echo_json(result)


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
    from hotline.bench.pipeline import run_pipeline_bench

    _report_bench(lambda settings: run_pipeline_bench(settings, events=events, rate=rate, batch=batch))


@bench_app.command("models")
def bench_models(
    data: Annotated[
        Path | None, typer.Option(help="Labelled CSV (text,category); default HOTLINE_BOOTSTRAP_DATA.")
    ] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Runs per measurement (the best counts).")] = 3,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Micro-batch size.")] = 500,
) -> None:
    """Predict/learn items/s of the tagging models on one core, snapshot size and load time."""
    from hotline.bench.models import limit_to_one_core

    limit_to_one_core()
    from hotline.bench.models import run_models_bench

    _report_bench(
        lambda settings: run_models_bench(
            data or settings.bootstrap_data,
            settings.taxonomy_path,
            dimension=settings.model_dimension,
            repeats=repeats,
            batch_size=batch,
        ),
        settings=Settings(),
        errors=(FileNotFoundError, ValueError),
    )


@bench_app.command("queries")
def bench_queries(
    complaints: Annotated[int, typer.Option(min=1000, help="Synthetic complaints to store.")] = 10_000_000,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the complaints spread over.")] = 30,
    runs: Annotated[int, typer.Option(min=1, help="Timed runs of each query.")] = 20,
    reload: Annotated[bool, typer.Option(help="Reload even when the bench database is full.")] = False,
) -> None:
    """Load COMPLAINTS synthetic complaints into `<database>_bench`; time every analytics query."""
    from hotline.bench.queries import run_queries_bench

    _report_bench(
        lambda settings: run_queries_bench(
            settings, complaints=complaints, days=days, runs=runs, reload=reload
        )
    )


@bench_app.command("asr")
def bench_asr(
    streams: Annotated[int, typer.Option(min=1, help="Most concurrent live calls to try.")] = 8,
    seconds: Annotated[float, typer.Option(min=2.0, help="Seconds of audio per call.")] = 30.0,
    start: Annotated[int, typer.Option(min=1, help="Fewest concurrent calls to try.")] = 1,
    step: Annotated[int, typer.Option(min=1, help="Calls fewer per level.")] = 1,
    stagger: Annotated[float, typer.Option(min=0.0, help="Seconds between the starts of two calls.")] = 1.0,
    warmup: Annotated[bool, typer.Option(help="Warm the worker up with unmeasured calls first.")] = True,
    quality: Annotated[
        bool, typer.Option(help="Also measure WER/CER on utterances with known text (about 30 s).")
    ] = True,
    worker_pid: Annotated[int | None, typer.Option(help="Worker to measure (default: found).")] = None,
    api_pid: Annotated[int | None, typer.Option(help="API process to measure (default: found).")] = None,
) -> None:
    """Live calls at real-time pace through /ws/calls: largest N with p95 reply lag < 1 s, CPU, RSS."""
    from hotline.bench.asr import run_asr_bench

    _report_bench(
        lambda settings: run_asr_bench(
            settings,
            streams=streams,
            seconds=seconds,
            start=start,
            step=step,
            stagger_s=stagger,
            warm=warmup,
            quality=quality,
            worker_pid=worker_pid,
            api_pid=api_pid,
        )
    )


@bench_app.command("recordings")
def bench_recordings(
    recordings: Annotated[int, typer.Option(min=1, help="Recordings uploaded, one after another.")] = 3,
    seconds: Annotated[float, typer.Option(min=5.0, help="Seconds of audio per recording.")] = 120.0,
    channels: Annotated[
        int, typer.Option(min=1, max=2, help="2: caller and agent on their own channels.")
    ] = 2,
) -> None:
    """Recorded calls through POST /api/v1/calls: wall time to transcribe, speed vs real time."""
    from hotline.bench.recordings import run_recordings_bench

    _report_bench(
        lambda settings: run_recordings_bench(
            settings, recordings=recordings, seconds=seconds, channels=channels
        )
    )


# -- retention ------------------------------------------------------------------------------------
@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[bool, typer.Option(help="Only list what would be dropped.")] = False,
) -> None:
    """Drop ClickHouse partitions older than HOTLINE_RETENTION_DAYS (rollups: ..._ROLLUP_...)."""
    from hotline.retention import run_retention

    _setup_logging()
    for item in run_retention(_settings(), dry_run=dry_run):
        typer.echo(f"{'would drop' if dry_run else 'dropped'} {item.table} partition {item.partition}")


# -- tokens ---------------------------------------------------------------------------------------
@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. 'wechat-gateway'.")],
    role: Annotated[Role, typer.Option(help="The token's role: what it may do and see.")],
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    from hotline.api_tokens import create_token

    settings = _settings()
    try:
        stored, plaintext = asyncio.run(create_token(settings, name=name, role=role))
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    _audit_token(settings, "token.create", stored.token_id, {"name": stored.name, "role": stored.role})
    typer.echo(f"created token {stored.token_id} ({stored.role}) for {stored.name}; it is not shown again:")
    typer.echo(plaintext)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token's id, role, name and creation time (never the token)."""
    import datetime as dt

    from hotline.api_tokens import list_tokens

    for t in asyncio.run(list_tokens(_settings())):
        created = dt.datetime.fromtimestamp(t.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        typer.echo(f"{t.token_id}  {t.role:<15} {created}  {t.name}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The id from `hotline tokens list`.")],
) -> None:
    """Revoke a token (API processes stop accepting it within 10 s)."""
    from hotline.api_tokens import revoke_token

    settings = _settings()
    revoked = asyncio.run(revoke_token(settings, token_id))
    if revoked is None:
        raise _fail(f"no token with id {token_id!r}")
    _audit_token(settings, "token.revoke", token_id, {"name": revoked.name, "role": revoked.role})
    typer.echo(f"revoked {token_id}")


def _audit_token(settings: Settings, action: str, token_id: str, detail: dict[str, str]) -> None:
    """Record a token action in the audit trail; when ClickHouse is unreachable, warn and go on."""
    from hotline.api_tokens import audit_token_action

    try:
        audit_token_action(settings, action, token_id, detail)
    except Exception as exc:
        typer.echo(f"warning: {action} {token_id} done but not recorded in the audit log: {exc!r}", err=True)


@bench_app.command("alerts")
def bench_alerts(
    rate: Annotated[float, typer.Option(min=1, help="Complaints per second (each fires one alert).")] = 500.0,
    seconds: Annotated[float, typer.Option(min=1, help="How long to send.")] = 20.0,
    keep: Annotated[
        bool, typer.Option(help="Leave the benchmark's alerts open and tickets running.")
    ] = False,
) -> None:
    """Latency from complaint POST to its alert on /ws/alerts, at a steady rate (running stack)."""
    from hotline.bench.alerts import run_alerts_bench

    _report_bench(lambda settings: run_alerts_bench(settings, rate=rate, seconds=seconds, keep=keep))


@bench_app.command("soak")
def bench_soak(
    rate: Annotated[float, typer.Option(min=0.1, help="Complaints per second, held steady.")] = 500.0,
    minutes: Annotated[float, typer.Option(min=0.1, help="How long to hold the rate.")] = 30.0,
    interval_s: Annotated[
        float, typer.Option("--interval-s", min=1.0, help="Seconds per recorded interval.")
    ] = 60.0,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Complaints per ingest request.")] = 10,
) -> None:
    """Hold RATE complaints/s for MINUTES (running stack): throughput, latency and RSS of each process."""
    from hotline.bench.soak import run_soak_bench

    _report_bench(
        lambda settings: run_soak_bench(
            settings, rate=rate, minutes=minutes, interval_s=interval_s, batch=batch
        ),
        errors=(RuntimeError,),
    )


# -- rules ----------------------------------------------------------------------------------------
@rules_app.command("check")
def rules_check(
    file: Annotated[Path, typer.Argument(help="Rules file (YAML), e.g. config/rules.yaml.")],
) -> None:
    """Validate a rules file as the workers would: one line per problem, exit 1 when any."""
    from alerts import RuleValidationError, load_rules

    try:
        rules = load_rules(file)
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror or exc}") from exc
    except RuleValidationError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise _fail(
            f"{file}: {len(exc.problems)} problem(s); the workers would keep the rules they have"
        ) from exc
    enabled = sum(1 for rule in rules.rules if rule.enabled)
    typer.echo(
        f"{file}: {len(rules.rules)} rule(s), {enabled} enabled, {len(rules.webhooks)} webhook(s): valid"
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
