"""The Prometheus and Grafana files of deploy/ ask only for metrics the workers and the API export.

Prometheus and Grafana do not run here (no Docker engine); these checks catch what breaks such files
silently: a renamed metric, a job name that no scrape config has, a panel without a query.
"""

from __future__ import annotations

import json
import re

import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.api_metrics import install_api_metrics
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
_REFERENCED = re.compile(r"\b(hotline_[a-z_]+)")
_SUFFIXES = ("_total", "_bucket", "_sum", "_count")


def _exported_metric_names() -> set[str]:
    """Every ``hotline_*`` metric name the code registers (a string literal in api/ or streams/), and
    the API's request metrics as its registry holds them after one request."""
    names: set[str] = set()
    for package in ("api", "streams"):
        for source in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r'"(hotline_[a-z_]+)"', source.read_text(encoding="utf-8")))
    app = FastAPI()
    api_metrics = install_api_metrics(app)
    TestClient(app).get("/anything")
    return names | {metric.name for metric in api_metrics.registry.collect()}


def _base_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _alert_rules() -> list[dict[str, object]]:
    doc = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_alert_rules_cover_the_system_and_name_real_metrics() -> None:
    exported = _exported_metric_names()
    rules = _alert_rules()
    names = {rule["alert"] for rule in rules}
    assert {"HotlineConsumerLag", "HotlineSinkBacklog", "HotlineWebhookDeliveryFailing"} <= names
    assert {"HotlineWorkerWithoutModel", "HotlineNoModelPublished", "HotlineTargetDown"} <= names
    for rule in rules:
        expr = str(rule["expr"])
        assert (
            rule["labels"]["severity"]  # type: ignore[index]  # a dict, typed object
            in {"warning", "critical"}
        ), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]  # type: ignore[index]  # a dict, typed object
        for metric in _REFERENCED.findall(expr):
            assert _base_name(metric) in exported, f"{rule['alert']}: {metric} is not exported"


def test_scrape_jobs_are_the_ones_the_rules_and_dashboard_expect() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"hotline-api", "hotline-worker", "hotline-alerts", "kafka-exporter"} <= set(jobs)
    for name in ("hotline-api", "hotline-worker", "hotline-alerts"):
        # Every /metrics needs the token; the compose secret puts it at this path.
        assert jobs[name]["authorization"]["credentials_file"] == "/run/secrets/hotline_api_token"
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]


def test_the_grafana_dashboard_queries_exported_metrics() -> None:
    exported = _exported_metric_names()
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "hotline.json").read_text())
    provisioning = DEPLOY / "grafana" / "provisioning"
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    panels = dashboard["panels"]
    assert len(panels) >= 10 and len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
            for metric in _REFERENCED.findall(target["expr"]):
                assert _base_name(metric) in exported, f"{panel['title']}: {metric} is not exported"
