"""The audit trail against the running stack: each action (rules, exports, a label, ack, resolve,
a silence set and ended, a token created and revoked by the CLI) leaves exactly one row naming who,
what, from where and the request id; failed actions leave none; only admin reads it, with filters.

The stack is shared: the rules are PUT back exactly as they are, the label is the right tag of a
complaint of this test's own, the alert and the silence match only this test's rule id.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import getpass
import io
import logging
import re
import secrets
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from access.roles import Principal
from api.audit import AuditTrail
from storage.alert_states import AlertStore
from storage.clickhouse.analytics_pool import ExecutorPool
from storage.clickhouse.audit_schema import AUDIT_LOG_COLUMNS
from tests.alerts.test_alerts_api import make_alert
from tests.api.test_tokens import _hotline
from tests.conftest import Pipeline, Stack, free_port

RUN = secrets.token_hex(3)
NOBODY = "0000000000000000"  # an alert id no alert has
ADMIN_NAME = "admin (HOTLINE_API_TOKEN)"


def _rid(step: str) -> str:
    return f"audit-{RUN}-{step}"


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    token_id: str
    token: str

    def headers(self, step: str | None = None) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"}
        return auth | {"X-Request-ID": _rid(step)} if step else auth


@dataclass(frozen=True)
class Expected:
    """One row the trail must hold: these fields exactly, and ``detail`` at least."""

    action: str
    target: str
    actor_name: str
    role: str
    actor_id: str
    client: str
    request_id: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        return (
            self.action,
            self.target,
            self.actor_name,
            self.role,
            self.actor_id,
            self.client,
            self.request_id,
        )


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    fields = ("action", "target", "actor_name", "role", "actor_id", "client", "request_id")
    return tuple(row[name] for name in fields)


@dataclass
class Trail:
    pipeline: Pipeline
    started: datetime
    actors: dict[str, Actor]
    expected: list[Expected]
    cli_targets: set[str]

    def read(self, **params: Any) -> list[dict[str, Any]]:
        """This test's rows among the trail since it started (the stack is shared)."""
        r = httpx.get(
            f"{self.pipeline.url}/api/v1/audit",
            params={"since": self.started.isoformat(), "limit": 1000, **params},
            headers=self.actors["admin"].headers(),
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return [row for row in r.json()["entries"] if self.ours(row)]

    def ours(self, row: dict[str, Any]) -> bool:
        return row["request_id"].startswith(f"audit-{RUN}-") or row["target"] in self.cli_targets


def _role_actor(stack: Stack, role: str) -> Actor:
    name = f"audit-{role}-{RUN}"
    token = stack.role_token(role, name)
    return Actor(name, role, token.split("_")[1], token)


def _raise_alert(pipeline: Pipeline, rule_id: str) -> str:
    s = pipeline.stack.settings

    async def raise_one() -> str:
        client = aioredis.Redis.from_url(s.redis_url)
        try:
            store = AlertStore(client, key_prefix=s.redis_key_prefix, maxlen=s.alert_stream_maxlen)
            outcome = await store.raise_alert(make_alert(rule_id, severity="warning"))
        finally:
            await client.aclose()
        assert outcome.alert is not None
        return outcome.alert.alert_id

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever runs in this thread
        return pool.submit(lambda: asyncio.run(raise_one())).result()


def _csv_rows(text: str) -> int:
    return len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) - 1


@pytest.fixture(scope="module")
def trail(pipeline: Pipeline) -> Trail:
    """Every audited action done once, each request with its own X-Request-ID."""
    stack = pipeline.stack
    admin = Actor(ADMIN_NAME, "admin", "env", stack.token)
    actors = {"admin": admin} | {
        role: _role_actor(stack, role) for role in ("monitor", "regulator_desk", "oncall", "ingest")
    }
    monitor, desk, oncall = actors["monitor"], actors["regulator_desk"], actors["oncall"]
    started = datetime.now(UTC)
    expected: list[Expected] = []

    def expect(action: str, target: str, actor: Actor, step: str, **detail: Any) -> None:
        expected.append(
            Expected(action, target, actor.name, actor.role, actor.token_id, "127.0.0.1", _rid(step), detail)
        )

    with httpx.Client(base_url=pipeline.url, timeout=30) as http:
        # The rules, PUT back exactly as they are.
        current = http.get("/api/v1/rules", headers=admin.headers())
        assert current.status_code == 200, current.text
        r = http.put(
            "/api/v1/rules",
            content=current.json()["yaml"].encode(),
            headers=admin.headers("rules") | {"Content-Type": "application/yaml"},
        )
        assert r.status_code == 200, r.text
        expect(
            "rules.replace",
            "rules",
            admin,
            "rules",
            revision=r.json()["revision"],
            rules=len(r.json()["rules"]),
        )

        # A complaint of this test's own, labelled once it is stored (404 until then: no row).
        complaint_id = f"audit-{RUN}"
        body = {"id": complaint_id, "text": "My new card still has not arrived.", "channel": "web"}
        assert http.post("/api/v1/complaints", json=body, headers=admin.headers()).status_code == 202
        label = {"dimension": "banking77", "tag": "card_arrival"}
        deadline = time.monotonic() + 60
        while True:
            r = http.post(
                f"/api/v1/complaints/{complaint_id}/labels", json=label, headers=monitor.headers("label")
            )
            if r.status_code != 404 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert r.status_code == 202, r.text
        expect(
            "label.create",
            complaint_id,
            monitor,
            "label",
            label_id=r.json()["label_id"],
            who=monitor.name,
            **label,
        )

        # Exports: the regulator desk's is forced to forwarded complaints.
        since = (started - timedelta(minutes=10)).isoformat()
        r = http.get(
            "/api/v1/exports/complaints.csv", params={"since": since}, headers=desk.headers("export-c")
        )
        assert r.status_code == 200, r.text
        target = r.request.url.raw_path.decode()
        expect(
            "export.complaints",
            target,
            desk,
            "export-c",
            rows=_csv_rows(r.text),
            regulator_only=True,
            complete=True,
        )
        r = http.get(
            "/api/v1/exports/alerts.csv",
            params={"since": since, "status": "open"},
            headers=admin.headers("export-a"),
        )
        assert r.status_code == 200, r.text
        target = r.request.url.raw_path.decode()
        expect(
            "export.alerts", target, admin, "export-a", rows=_csv_rows(r.text), status=["open"], complete=True
        )

        # An alert acknowledged by the monitoring room and resolved by admin; a resolve that fails.
        alert_id = _raise_alert(pipeline, f"audit-{RUN}")
        r = http.post(
            f"/api/v1/alerts/{alert_id}/ack", json={"by": "zhang.wei"}, headers=monitor.headers("ack")
        )
        assert r.status_code == 200, r.text
        expect("alert.ack", alert_id, monitor, "ack", by="zhang.wei", changed=True)
        r = http.post(
            f"/api/v1/alerts/{alert_id}/resolve",
            json={"by": "li.na", "note": "fixed, customer called from 13912345678"},
            headers=admin.headers("resolve"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["alert"]["resolution"] == "fixed, customer called from [PHONE:…5678]"  # redacted
        note = "fixed, customer called from [PHONE:…5678]"
        expect("alert.resolve", alert_id, admin, "resolve", by="li.na", note=note, changed=True)
        r = http.post(f"/api/v1/alerts/{NOBODY}/resolve", json={"by": "x"}, headers=admin.headers("failed"))
        assert r.status_code == 404, r.text

        # A silence set by on-call and ended by the monitoring room.
        silence = {"matchers": {"rule_id": f"x-audit-{RUN}"}, "duration_s": 60, "reason": f"audit {RUN}"}
        r = http.post("/api/v1/silences", json=silence, headers=oncall.headers("silence"))
        assert r.status_code == 201, r.text
        silence_id = r.json()["id"]
        expect(
            "silence.create",
            silence_id,
            oncall,
            "silence",
            matchers=silence["matchers"],
            reason=silence["reason"],
        )
        r = http.delete(f"/api/v1/silences/{silence_id}", headers=monitor.headers("unsilence"))
        assert r.status_code == 200, r.text
        expect("silence.expire", silence_id, monitor, "unsilence", expired_by=monitor.name)

    # A token created and revoked by the CLI.
    created = _hotline(stack, "tokens", "create", "--name", f"audit-cli-{RUN}", "--role", "ingest")
    assert created.returncode == 0 and "audit log" not in created.stderr, created.stderr
    token_id = re.search(  # type: ignore[index]  # None on a miss, which fails the test anyway
        r"created token (\w+)", created.stdout
    )[1]
    revoked = _hotline(stack, "tokens", "revoke", token_id)
    assert revoked.returncode == 0 and "audit log" not in revoked.stderr, revoked.stderr
    cli = {"actor_name": f"cli:{getpass.getuser()}", "role": "admin", "actor_id": "", "request_id": ""}
    for action in ("token.create", "token.revoke"):
        expected.append(
            Expected(
                action,
                token_id,
                client=f"cli:{socket.gethostname()}",
                detail={"name": f"audit-cli-{RUN}", "role": "ingest"},
                **cli,
            )
        )
    return Trail(pipeline, started, actors, expected, {token_id})


@pytest.mark.services
def test_each_action_leaves_exactly_one_row(trail: Trail) -> None:
    rows = trail.read()
    assert sorted(_key(row) for row in rows) == sorted(e.key for e in trail.expected)
    by_key = {_key(row): row for row in rows}
    for e in trail.expected:
        row = by_key[e.key]
        assert {k: row["detail"].get(k) for k in e.detail} == e.detail, row
    # The failed resolve and the label's 404s before the complaint was stored left nothing.
    assert not [row for row in rows if row["request_id"] == _rid("failed")]
    # Newest first, in the order the actions were done.
    assert [row["action"] for row in rows] == [e.action for e in reversed(trail.expected)]


@pytest.mark.services
def test_filters_by_action_actor_and_time(trail: Trail) -> None:
    acks = trail.read(action="alert.ack")
    assert [row["action"] for row in acks] == ["alert.ack"]
    monitor = trail.actors["monitor"]
    by_name = trail.read(actor=monitor.name)
    assert [row["action"] for row in by_name] == ["silence.expire", "alert.ack", "label.create"]
    assert trail.read(actor=monitor.token_id) == by_name
    assert trail.read(actor=monitor.name, action="label.create") == by_name[-1:]

    everything = trail.read()
    ack_at = acks[0]["at"]
    after = trail.read(since=ack_at)
    before = trail.read(since=trail.started.isoformat(), until=ack_at)
    assert after + before == everything
    assert after[-1]["action"] == "alert.ack"  # since is inclusive, until exclusive
    assert [row["action"] for row in before][::-1] == [
        "rules.replace",
        "label.create",
        "export.complaints",
        "export.alerts",
    ]


@pytest.mark.services
def test_only_admin_reads_the_trail(trail: Trail) -> None:
    url = f"{trail.pipeline.url}/api/v1/audit"
    for role in ("monitor", "regulator_desk", "oncall", "ingest"):
        r = httpx.get(url, headers=trail.actors[role].headers(), timeout=10)
        assert r.status_code == 403, r.text
        assert role in r.json()["detail"] and "audit.read" in r.json()["detail"]
    assert httpx.get(url, timeout=10).status_code == 401
    admin = trail.actors["admin"].headers()
    for params in (
        {"limit": 0},
        {"limit": 1001},
        {"since": "2024-03-02T00:00:00Z", "until": "2024-03-01T00:00:00Z"},
    ):
        assert httpx.get(url, params=params, headers=admin, timeout=10).status_code == 422, params


@pytest.mark.services
def test_the_cli_warns_but_succeeds_when_clickhouse_is_unreachable(stack: Stack) -> None:
    env = {**stack.env, "HOTLINE_CLICKHOUSE_URL": f"clickhouse://default:@127.0.0.1:{free_port()}/nowhere"}
    offline = dataclasses.replace(stack, env=env)
    created = _hotline(offline, "tokens", "create", "--name", f"audit-offline-{RUN}", "--role", "ingest")
    assert created.returncode == 0, created.stderr
    assert "warning: token.create" in created.stderr and "not recorded in the audit log" in created.stderr
    token_id = re.search(  # type: ignore[index]  # None on a miss, which fails the test anyway
        r"created token (\w+)", created.stdout
    )[1]
    assert created.stdout.strip().splitlines()[-1].startswith(f"hl_{token_id}_")
    revoked = _hotline(offline, "tokens", "revoke", token_id)
    assert revoked.returncode == 0 and "warning: token.revoke" in revoked.stderr, revoked.stderr


class _Recorder:
    """An executor that keeps what is inserted (or refuses to connect at all)."""

    database = "default"

    def __init__(self) -> None:
        self.inserted: list[tuple[str, Sequence[str], list[Sequence[object]]]] = []

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return []

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.inserted.append((table, columns, list(rows)))

    def close(self) -> None:
        pass


async def test_the_trail_writes_one_row_naming_the_caller() -> None:
    recorder = _Recorder()
    trail = AuditTrail(ExecutorPool(lambda: recorder, 1), "10.0.0.7", "req-42")
    principal = Principal("wall-screen", "monitor", "a1b2c3d4e5f6")
    await trail(principal, "alert.ack", "0123456789abcdef", {"by": "zhang.wei"})
    [(table, columns, [row])] = recorder.inserted
    values = dict(zip(columns, row, strict=True))
    assert table == "audit_log" and tuple(columns) == AUDIT_LOG_COLUMNS
    assert {
        k: values[k] for k in ("actor_id", "actor_name", "role", "action", "target", "client", "request_id")
    } == {
        "actor_id": "a1b2c3d4e5f6",
        "actor_name": "wall-screen",
        "role": "monitor",
        "action": "alert.ack",
        "target": "0123456789abcdef",
        "client": "10.0.0.7",
        "request_id": "req-42",
    }
    assert values["detail"] == '{"by": "zhang.wei"}'


async def test_a_row_that_cannot_be_written_is_logged_and_the_action_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse() -> _Recorder:
        raise ConnectionRefusedError("ClickHouse is down")

    trail = AuditTrail(ExecutorPool(refuse, 1), "10.0.0.7", "req-43")
    with caplog.at_level(logging.ERROR, logger="api.audit"):
        await trail(Principal("wall-screen", "monitor", "a1b2c3d4e5f6"), "silence.create", "s-0123", {})
    [record] = [r for r in caplog.records if r.name == "api.audit"]
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "audit row not written" in message
    assert all(part in message for part in ("silence.create", "s-0123", "req-43", "ClickHouse is down"))
