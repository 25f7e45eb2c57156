"""`hotline models bootstrap` chooses each dimension's model by validation on the file itself and
records the choice where `GET /api/v1/models` shows it (real Redis, a key prefix of its own)."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from config.settings import Settings
from hotline.launcher import demo_bootstrap_sources
from online_models import loads_signed
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry
from tests.conftest import BANKING77, ROOT, Stack, hotline_cli

pytestmark = pytest.mark.services


def _bootstrap(stack: Stack, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    return hotline_cli(
        "models", "bootstrap", *args, env={**stack.env, "HOTLINE_REDIS_KEY_PREFIX": prefix}, timeout=600
    )


async def _published(stack: Stack, prefix: str) -> tuple[dict[str, object], object]:
    client = aioredis.Redis.from_url(stack.settings.redis_url)
    try:
        registry = ModelRegistry(client, key_prefix=prefix)
        loaded = await registry.load_with_meta(TAGGER_MODEL_NAME)
        assert loaded is not None
        blob, meta = loaded
        key = stack.settings.model_signing_key
        assert key is not None
        tagger = loads_signed(blob, key.get_secret_value().encode())
        await client.delete(*[k async for k in client.scan_iter(f"{prefix}:*")])
        return meta.extra, tagger
    finally:
        await client.aclose()


def test_bootstrap_validates_configurations_and_records_the_choice(stack: Stack, tmp_path: Path) -> None:
    if not BANKING77.is_file():
        pytest.skip("banking77 not available")
    with BANKING77.open(encoding="utf-8") as source:
        rows = [row for i, row in enumerate(csv.reader(source)) if i == 0 or i % 20 == 0]
    data = tmp_path / "b77-small.csv"
    with data.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    prefix = "test-boot-select"
    result = _bootstrap(stack, prefix, str(data))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    (dimension,) = report["dimensions"]
    assert dimension["dimension"] == "banking77" and dimension["labels"] == len(rows) - 1
    assert set(dimension["accuracy"]) == {"default", "short", "broad", "light"}
    assert dimension["chosen"] in dimension["accuracy"] and dimension["reason"]
    assert dimension["validation"].startswith("shuffled 5-fold")
    assert "model selection: broad" in result.stderr  # progress on the console
    extra, tagger = asyncio.run(_published(stack, prefix))
    recorded = extra["model_choices"]["banking77"]  # type: ignore[index]  # extra's values are typed object
    assert recorded["chosen"] == dimension["chosen"] and recorded["accuracy"] == dimension["accuracy"]
    assert (
        tagger.model_choices["banking77"]["chosen"]  # type: ignore[attr-defined]  # a Tagger, typed object
        == dimension["chosen"]
    )


def test_bootstrap_without_selection_says_so(stack: Stack) -> None:
    if not BANKING77.is_file():
        pytest.skip("banking77 not available")
    prefix = "test-boot-noselect"
    result = _bootstrap(stack, prefix, str(BANKING77), "--no-select")
    assert result.returncode == 0, result.stderr
    (dimension,) = json.loads(result.stdout.strip().splitlines()[-1])["dimensions"]
    assert dimension["chosen"] == "default" and "no selection" in dimension["reason"]
    asyncio.run(_published(stack, prefix))


def test_demo_bootstraps_the_chinese_dimensions_from_the_shipped_set(stack: Stack) -> None:
    sources = demo_bootstrap_sources(Settings(), None)
    shipped = ROOT / "data" / "bootstrap" / "zh_complaints.csv"
    assert shipped.is_file()
    assert [(s.path, s.dimension, s.label_col, s.select) for s in sources[1:]] == [
        (shipped, "business_line", "business_line", False),
        (shipped, "cause", "cause", False),
    ]
    prefix = "test-boot-zh"
    result = _bootstrap(stack, prefix, str(shipped), "--label-col", "business_line", "--label-col", "cause")
    assert result.returncode == 0, result.stderr
    reports = {d["dimension"]: d for d in json.loads(result.stdout.strip().splitlines()[-1])["dimensions"]}
    assert set(reports) == {"business_line", "cause"}
    _, tagger = asyncio.run(_published(stack, prefix))
    tags = {
        r.dimension: r
        for r in tagger.predict_one(  # type: ignore[attr-defined]  # a Tagger, typed object
            "信用卡被盗刷了两万块，银行一直不处理"
        )
    }
    assert tags["business_line"].tag == "credit_card" and tags["business_line"].source == "model"
    assert tags["cause"].tag == "funds_security" and tags["cause"].source == "model"


_DEMO_BOOTSTRAP = """
import asyncio, json
import hotline
from hotline.launcher import demo_bootstrap_sources
from hotline.model_bootstrap import bootstrap_model
from config.settings import get_settings
settings = get_settings()
sources = demo_bootstrap_sources(settings, None)
version, reports = asyncio.run(bootstrap_model(settings, sources))
print(json.dumps({"package": hotline.__file__, "sources": [str(s.path) for s in sources],
                  "dimensions": [r["dimension"] for r in reports]}))
"""


def test_a_clone_with_nothing_beside_it_bootstraps_the_demo_model(stack: Stack, tmp_path: Path) -> None:
    """The demo's bootstrap step, run in a fresh clone that has no ../shared beside it, with the
    default settings (only the local stack's addresses and secrets set)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    alone = tmp_path / "alone"
    alone.mkdir()
    clone = alone / "hotline"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert [p.name for p in alone.iterdir()] == ["hotline"]
    prefix = "test-boot-clone"
    # Every setting that names a file of the main checkout is dropped: the clone's defaults decide.
    env = {k: v for k, v in stack.env.items() if not (k.startswith("HOTLINE_") and str(ROOT) in v)}
    env.update(HOTLINE_REDIS_KEY_PREFIX=prefix, PYTHONPATH=str(clone))
    result = subprocess.run(
        [sys.executable, "-c", _DEMO_BOOTSTRAP],
        env=env,
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["package"].startswith(str(clone)), report  # the clone's code, not this checkout's
    assert report["sources"] and all(s.startswith(str(clone / "data")) for s in report["sources"]), report
    assert set(report["dimensions"]) == {"banking77", "business_line", "cause"}
    _, tagger = asyncio.run(_published(stack, prefix))
    assert {r.dimension: r.source for r in tagger.predict_one("my card has not arrived yet")}[
        "banking77"
    ] == "model"
