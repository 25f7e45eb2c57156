"""``/api/v1/stats/...``, the exports and the daily summary over HTTP, on rows we stored ourselves."""

from __future__ import annotations

import csv
import io
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from storage.clickhouse import COMPLAINT_COLUMNS, DriverExecutor, apply_migrations, normalize_complaint
from storage.clickhouse.analytics_deadlines import insert_ticket_events
from tests.conftest import Pipeline

pytestmark = pytest.mark.services


class Known:
    """Complaints of our own (one branch, one run id) stored an hour ago and now."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.branch = f"api-{secrets.token_hex(3)}"
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.rows = []
        for i in range(30):
            received = self.now - timedelta(minutes=90 if i < 10 else 5)
            self.rows.append(
                normalize_complaint(
                    {
                        "event_id": f"{self.branch}-{i}",
                        "received_at": received,
                        "channel": "web" if i % 2 else "phone",
                        "branch": self.branch,
                        "customer_ref_hash": "SECRET-HASH-" + str(i),
                        "regulator_forwarded": i % 10 == 0,
                        "regulator_ref": f"12378-{self.branch}-{i}" if i % 10 == 0 else "",
                        "text": '=HYPERLINK("http://x") 卡还没到' if i == 1 else "我的卡还没有寄到",
                        "tag_dimensions": ["product", "issue"],
                        "tags": [f"card-{self.branch}", "delay"],
                        "tag_confidences": [0.9, 0.8],
                        "tag_sources": ["model", "model"],
                        "model_version": "test",
                    }
                )
            )
        executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
        try:
            apply_migrations(executor)
            executor.insert(
                "complaints", COMPLAINT_COLUMNS, [tuple(r[c] for c in COMPLAINT_COLUMNS) for r in self.rows]
            )
            first = self.rows[0]
            insert_ticket_events(
                executor,
                [
                    {
                        "event_id": f"{first['event_id']}-responded",
                        "complaint_id": first["event_id"],
                        "kind": "responded",
                        "at": first["received_at"] + timedelta(minutes=20),
                        "received_at": first["received_at"],
                        "regulator_forwarded": 1,
                    }
                ],
            )
        finally:
            executor.close()

    @property
    def tag(self) -> str:
        return f"card-{self.branch}"


@pytest.fixture(scope="module")
def known(pipeline: Pipeline) -> Iterator[Known]:
    yield Known(pipeline)


@pytest.fixture
def http(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=20) as client:
        yield client


def test_every_stats_endpoint_needs_the_token(pipeline: Pipeline) -> None:
    for path in (
        "volume",
        "hot-tags",
        "branch-tag-matrix?dimension=x",
        "deadline-compliance",
        "regulator-cases",
    ):
        response = httpx.get(f"{pipeline.url}/api/v1/stats/{path}", timeout=10)
        assert response.status_code == 401, path
    assert httpx.get(f"{pipeline.url}/api/v1/exports/complaints.csv", timeout=10).status_code == 401
    assert httpx.get(f"{pipeline.url}/api/v1/reports/daily", timeout=10).status_code == 401


def test_volume_series_for_a_tag_and_in_total(http: httpx.Client, known: Known) -> None:
    since = (known.now - timedelta(hours=2)).isoformat()
    response = http.get("/api/v1/stats/volume", params={"since": since, "tag": f"product:{known.tag}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["granularity"] == "minute" and len(body["buckets"]) == len(body["series"][0]["counts"])
    assert body["series"][0]["tag"] == known.tag and body["series"][0]["total"] == 30
    by_branch = http.get("/api/v1/stats/volume", params={"since": since, "branch": known.branch}).json()
    assert [s["total"] for s in by_branch["series"]] == [30, 3]
    weekly = http.get(
        "/api/v1/stats/volume",
        params={"since": (known.now - timedelta(days=6)).isoformat(), "tag": f"product:{known.tag}"},
    ).json()
    assert weekly["granularity"] == "hour" and weekly["series"][0]["total"] == 30


def test_bad_parameters_are_422_naming_the_problem(http: httpx.Client, known: Known) -> None:
    late, early = known.now.isoformat(), (known.now - timedelta(hours=1)).isoformat()
    response = http.get("/api/v1/stats/volume", params={"since": late, "until": early})
    assert response.status_code == 422 and "until" in response.text
    response = http.get("/api/v1/stats/volume", params={"tag": "no-colon"})
    assert response.status_code == 422 and "tag" in response.text
    response = http.get(
        "/api/v1/stats/volume",
        params={"since": (known.now - timedelta(days=30)).isoformat(), "granularity": "minute"},
    )
    assert response.status_code == 422 and "buckets" in response.text
    assert http.get("/api/v1/stats/hot-tags", params={"limit": 0}).status_code == 422
    assert http.get("/api/v1/alerts", params={"since": "1900-01-01T00:00:00Z"}).status_code == 422


def test_times_are_iso_or_epoch_seconds_as_the_schema_says(http: httpx.Client, known: Known) -> None:
    schema = http.get("/openapi.json").json()["paths"]["/api/v1/alerts"]["get"]["parameters"]
    since = next(p for p in schema if p["name"] == "since")["schema"]
    assert {"type": "number", "description": "epoch seconds"} in since["anyOf"]
    epoch = (known.now - timedelta(hours=2)).timestamp()
    as_epoch = http.get("/api/v1/stats/volume", params={"since": epoch, "tag": f"product:{known.tag}"})
    assert as_epoch.status_code == 200, as_epoch.text
    assert as_epoch.json()["series"][0]["total"] == 30


def test_hot_tags_and_the_branch_matrix(http: httpx.Client, known: Known) -> None:
    hot = http.get(
        "/api/v1/stats/hot-tags", params={"dimension": "product", "limit": 100, "branch": known.branch}
    )
    assert hot.status_code == 200, hot.text
    mine = next(t for t in hot.json()["tags"] if t["tag"] == known.tag)
    assert (mine["count"], mine["previous"]) == (20, 10)  # last hour vs the hour before
    assert mine["growth"] == pytest.approx(1.0)
    matrix = http.get(
        "/api/v1/stats/branch-tag-matrix",
        params={
            "dimension": "product",
            "since": (known.now - timedelta(hours=3)).isoformat(),
            "top_tags": 50,
            "top_branches": 200,
        },
    ).json()
    row = matrix["branches"].index(known.branch)
    assert matrix["counts"][row][matrix["tags"].index(known.tag)] == 30


def test_deadlines_and_the_regulator_tracker(http: httpx.Client, known: Known) -> None:
    compliance = http.get("/api/v1/stats/deadline-compliance", params={"regulator_only": "true"})
    assert compliance.status_code == 200, compliance.text
    kinds = [d["kind"] for d in compliance.json()["deadlines"]]
    assert kinds == ["responded", "resolved", "closed"]
    responded = compliance.json()["deadlines"][0]
    assert responded["met"] >= 1 and responded["target_s"] == 3600
    cases = http.get("/api/v1/stats/regulator-cases", params={"limit": 1000}).json()["cases"]
    mine = {c["regulator_ref"]: c for c in cases if c["branch"] == known.branch}
    assert len(mine) == 3
    first = mine[f"12378-{known.branch}-0"]
    assert (first["deadlines"][0]["kind"], first["deadlines"][0]["state"]) == ("responded", "met")
    assert first["deadlines"][1]["state"] in ("open", "warning")
    assert first["excerpt"] == "我的卡还没有寄到"


def test_complaints_csv_streams_without_customer_hashes(http: httpx.Client, known: Known) -> None:
    response = http.get(
        "/api/v1/exports/complaints.csv",
        params={"since": (known.now - timedelta(hours=3)).isoformat(), "branch": known.branch},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert "SECRET-HASH" not in text and "customer_ref_hash" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30
    assert {r["event_id"] for r in rows} == {r["event_id"] for r in known.rows}
    formula = next(r for r in rows if r["event_id"].endswith("-1"))
    assert formula["text"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert f"product:{known.tag}" in rows[0]["tags"]
    regulator = http.get(
        "/api/v1/exports/complaints.csv",
        params={
            "since": (known.now - timedelta(hours=3)).isoformat(),
            "branch": known.branch,
            "regulator_only": "true",
        },
    )
    assert len(list(csv.DictReader(io.StringIO(regulator.content.decode("utf-8-sig"))))) == 3
    too_long = http.get("/api/v1/exports/complaints.csv", params={"since": "2020-01-01T00:00:00Z"})
    assert too_long.status_code == 422


def test_alerts_csv_has_a_header_and_the_alert_columns(http: httpx.Client) -> None:
    response = http.get("/api/v1/exports/alerts.csv", params={"since": time.time() - 3600})
    assert response.status_code == 200, response.text
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:4] == ["alert_id", "fired_at", "severity", "status"]


def test_daily_summary_as_json_and_printable_page(http: httpx.Client, known: Known) -> None:
    today = http.get("/api/v1/reports/daily")
    assert today.status_code == 200, today.text
    zone = today.json()["timezone"]
    assert zone == "Asia/Shanghai"
    # The day of our 20 recent rows in Shanghai: from 16:00 UTC on, "today" there is tomorrow here,
    # and the rows stored before it are yesterday's.
    recent = known.now - timedelta(minutes=5)
    day = recent.astimezone(ZoneInfo(zone)).date().isoformat()
    summary = http.get("/api/v1/reports/daily", params={"day": day})
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["date"] == day and body["complaints"] >= 20
    assert [c["kind"] for c in body["compliance"]] == ["responded", "resolved", "closed"]
    assert any(t["tag"] == "delay" for t in body["top_tags"])
    page = http.get("/api/v1/reports/daily.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "投诉日报" in page.text and "Daily complaint summary" in page.text
    assert "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    future = http.get("/api/v1/reports/daily", params={"day": "2999-01-01"})
    assert future.status_code == 422
    # A day is written YYYY-MM-DD; pydantic alone would read 0 as 1970-01-01.
    assert http.get("/api/v1/reports/daily", params={"day": "0"}).status_code == 422
    assert http.get("/api/v1/reports/daily", params={"day": known.now.date().isoformat()}).status_code == 200


def test_dashboard_assets_are_served_with_a_strict_policy(pipeline: Pipeline) -> None:
    page = httpx.get(f"{pipeline.url}/", timeout=10)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("js/app.js", "css/dashboard.css", "vendor/uplot/uPlot.esm.js", "vendor/uplot/LICENSE.txt"):
        assert httpx.get(f"{pipeline.url}/static/{asset}", timeout=10).status_code == 200, asset
    for bad in ("../app.py", "js/../../auth.py", ".hidden.js", "index.html"):
        assert httpx.get(f"{pipeline.url}/static/{bad}", timeout=10).status_code == 404, bad
