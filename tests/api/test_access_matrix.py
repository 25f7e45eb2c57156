"""The role matrix (access/roles.py) on the running API: each role reaches exactly its part.

One representative request per router (and both websockets) for every role; the regulator desk
and on-call get only their alerts, on the list and on the feed; a wider audience is refused.
Requests that write use a body that fails validation where a real write would disturb the shared
stack: a 404/422 shows the token got past the access check, a 403 that it did not.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from access.roles import ACCESS, PERMISSIONS, ROLES, audience_for, permissions_of
from storage.alert_states import AlertStore
from tests.alerts.test_alerts_api import make_alert
from tests.conftest import Pipeline

NOBODY = "0000000000000000"  # an alert id no alert has
ROLE_NAMES = ("ingest", "monitor", "regulator_desk", "oncall", "admin")


@dataclass(frozen=True)
class Case:
    """One request, who may make it, and the status an admitted caller gets."""

    method: str
    path: str
    roles: frozenset[str]
    admitted: tuple[int, ...] = (200,)
    params: dict[str, Any] | None = None
    body: Any = None
    content: bytes | None = None


def _roles(*names: str) -> frozenset[str]:
    return frozenset({*names, "admin"})


EVERYONE = frozenset(ROLE_NAMES)
CASES: dict[str, Case] = {
    "complaints": Case(
        "POST",
        "/api/v1/complaints",
        _roles("ingest"),
        (202,),
        body={"text": "My card was charged twice.", "channel": "web"},
    ),
    "complaints-batch": Case("POST", "/api/v1/complaints/batch", _roles("ingest"), (422,), body={"x": 1}),
    "calls-upload": Case("POST", "/api/v1/calls", _roles("ingest"), (400, 415, 422), content=b"not a wav"),
    "calls-read": Case("GET", "/api/v1/calls/live", _roles("monitor")),
    "ticket-events": Case(
        "POST", "/api/v1/complaints/acl-x/events", _roles("ingest", "monitor"), (422,), body={"kind": "?"}
    ),
    "labels": Case(
        "POST",
        "/api/v1/complaints/acl-none/labels",
        _roles("monitor", "regulator_desk"),
        (404,),
        body={"dimension": "banking77", "tag": "card_arrival"},
    ),
    "review": Case(
        "GET", "/api/v1/review", _roles("monitor", "regulator_desk"), params={"dimension": "banking77"}
    ),
    "review-dimensions": Case("GET", "/api/v1/review/dimensions", _roles("monitor", "regulator_desk")),
    "stats-volume": Case("GET", "/api/v1/stats/volume", _roles("monitor")),
    "stats-hot": Case("GET", "/api/v1/stats/hot-tags", _roles("monitor")),
    "stats-matrix": Case(
        "GET", "/api/v1/stats/branch-tag-matrix", _roles("monitor"), params={"dimension": "banking77"}
    ),
    "stats-compliance": Case("GET", "/api/v1/stats/deadline-compliance", _roles("monitor", "regulator_desk")),
    "stats-regulator": Case("GET", "/api/v1/stats/regulator-cases", _roles("monitor", "regulator_desk")),
    "export-complaints": Case("GET", "/api/v1/exports/complaints.csv", _roles("monitor", "regulator_desk")),
    "export-alerts": Case("GET", "/api/v1/exports/alerts.csv", _roles("monitor", "regulator_desk")),
    "daily-report": Case("GET", "/api/v1/reports/daily", _roles("monitor")),
    "alerts-list": Case("GET", "/api/v1/alerts", _roles("monitor", "regulator_desk", "oncall")),
    "alerts-ack": Case(
        "POST",
        f"/api/v1/alerts/{NOBODY}/ack",
        _roles("monitor", "regulator_desk", "oncall"),
        (404,),
        body={"by": "acl-test"},
    ),
    "alerts-resolve": Case(
        "POST", f"/api/v1/alerts/{NOBODY}/resolve", _roles("monitor"), (404,), body={"by": "acl-test"}
    ),
    "silences-read": Case("GET", "/api/v1/silences", _roles("monitor", "regulator_desk", "oncall")),
    # An invalid silence (no matcher): admitted callers get 422, and nothing is muted.
    "silences-write": Case(
        "POST", "/api/v1/silences", _roles("monitor", "oncall"), (422,), body={"matchers": {}, "reason": "x"}
    ),
    "silences-expire": Case(
        "DELETE", "/api/v1/silences/s-0000000000000000", _roles("monitor", "oncall"), (404,)
    ),
    "models": Case("GET", "/api/v1/models", _roles("monitor")),
    "metrics": Case("GET", "/metrics", _roles("monitor")),
    "rules-read": Case("GET", "/api/v1/rules", _roles("monitor")),
    # An invalid document: admitted callers get 422 and the stack's rules stay as they are.
    "rules-write": Case("PUT", "/api/v1/rules", _roles(), (422,), body={"rules": [{"id": "x"}]}),
    "audit": Case("GET", "/api/v1/audit", _roles(), params={"limit": 1}),
    "readyz": Case("GET", "/readyz", EVERYONE, (200, 503)),
    "session": Case("GET", "/api/v1/session", EVERYONE),
}


def test_matrix_names_every_permission_and_only_known_roles() -> None:
    assert set(ACCESS) == set(PERMISSIONS)
    assert set(ROLES) == set(ROLE_NAMES)
    for _, roles in ACCESS.values():
        assert roles <= set(ROLES)
    assert permissions_of("ingest") == ("ingest", "tickets.write", "status.read")
    assert "rules.write" not in permissions_of("monitor")
    assert audience_for("regulator_desk", "oncall") is None


@pytest.fixture(scope="module")
def tokens(pipeline: Pipeline) -> dict[str, str]:
    """A token per role, once ClickHouse has the schema (the stats' first query applies it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = httpx.get(f"{pipeline.url}/api/v1/stats/volume", headers=pipeline.stack.auth(), timeout=30)
        if r.status_code == 200:
            break
        time.sleep(0.5)
    return {role: pipeline.stack.role_token(role, f"acl-{role}") for role in ROLE_NAMES}


@pytest.mark.services
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_reaches_exactly_its_part(pipeline: Pipeline, tokens: dict[str, str], role: str) -> None:
    wrong: list[str] = []
    with httpx.Client(
        base_url=pipeline.url, headers={"Authorization": f"Bearer {tokens[role]}"}, timeout=30
    ) as http:
        for name, case in CASES.items():
            response = http.request(
                case.method, case.path, params=case.params, json=case.body, content=case.content
            )
            if role in case.roles:
                if response.status_code not in case.admitted:
                    wrong.append(f"{name}: {response.status_code} {response.text[:200]}")
            elif response.status_code != 403:
                wrong.append(f"{name}: {response.status_code}, expected 403")
            else:
                detail = response.json()["detail"]
                if role not in detail:
                    wrong.append(f"{name}: 403 does not name the role: {detail}")
    assert wrong == [], f"role {role}: {wrong}"


@pytest.mark.services
def test_session_names_the_caller_and_never_the_token(pipeline: Pipeline, tokens: dict[str, str]) -> None:
    r = httpx.get(
        f"{pipeline.url}/api/v1/session", headers={"Authorization": f"Bearer {tokens['oncall']}"}, timeout=10
    )
    assert r.status_code == 200
    assert r.json() == {
        "name": "acl-oncall",
        "role": "oncall",
        "permissions": ["alerts.read", "alerts.ack", "silences.write", "status.read"],
        "alert_audience": "oncall",
        "regulator_only": False,
    }
    assert tokens["oncall"] not in r.text
    denied = httpx.get(
        f"{pipeline.url}/api/v1/stats/volume",
        headers={"Authorization": f"Bearer {tokens['oncall']}"},
        timeout=10,
    )
    assert denied.status_code == 403
    assert "'oncall' lacks the 'stats.read' permission" in denied.json()["detail"]


@pytest.mark.services
def test_every_documented_endpoint_but_healthz_needs_a_token(pipeline: Pipeline) -> None:
    spec = httpx.get(f"{pipeline.url}/openapi.json", timeout=10).json()
    open_paths = []
    for path, operations in spec["paths"].items():
        concrete = path.replace("{complaint_id}", "x").replace("{call_id}", "x").replace("{alert_id}", NOBODY)
        for method in operations:
            status = httpx.request(method.upper(), f"{pipeline.url}{concrete}", timeout=10).status_code
            if status != 401:
                open_paths.append(f"{method.upper()} {path}: {status}")
    assert open_paths == ["GET /healthz: 200"]


def _ws(pipeline: Pipeline, path: str, token: str, **params: str) -> str:
    return f"ws://127.0.0.1:{pipeline.stack.settings.api_port}{path}?{urlencode({'token': token, **params})}"


async def _admitted(url: str) -> bool:
    """Whether the websocket handshake succeeds (a refused token or role: HTTP 403 at handshake)."""
    try:
        async with websockets.connect(url, open_timeout=15):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


@pytest.mark.services
async def test_websockets_admit_exactly_their_roles(pipeline: Pipeline, tokens: dict[str, str]) -> None:
    alerts = {role for role in ROLE_NAMES if await _admitted(_ws(pipeline, "/ws/alerts", tokens[role]))}
    assert alerts == {"monitor", "regulator_desk", "oncall", "admin"}
    calls = {
        role
        for role in ROLE_NAMES
        if await _admitted(_ws(pipeline, f"/ws/calls/acl-{secrets.token_hex(4)}", tokens[role]))
    }
    assert calls == {"ingest", "admin"}
    live = {role for role in ROLE_NAMES if await _admitted(_ws(pipeline, "/ws/live-calls", tokens[role]))}
    assert live == {"monitor", "admin"}


async def _feed(url: str, prefix: str, seconds: float) -> set[str]:
    """Rule ids (starting with ``prefix``) of the alert events the feed sends within ``seconds``."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    async with websockets.connect(url, open_timeout=15) as ws:
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            except TimeoutError:
                break
            if message["alert"]["rule_id"].startswith(prefix):
                seen.add(message["alert"]["rule_id"])
    return seen


@pytest.mark.services
async def test_desks_get_only_their_alerts_on_the_list_and_the_feed(
    pipeline: Pipeline, tokens: dict[str, str]
) -> None:
    s = pipeline.stack.settings
    p = f"acl-{secrets.token_hex(3)}"
    start = f"{int(time.time() * 1000) - 1000}-0"
    client = aioredis.Redis.from_url(s.redis_url)
    try:
        store = AlertStore(client, key_prefix=s.redis_key_prefix, maxlen=s.alert_stream_maxlen)
        await store.raise_alert(make_alert(f"{p}-plain", severity="warning"))
        await store.raise_alert(make_alert(f"{p}-reg", severity="warning", regulator=True))
        crit = await store.raise_alert(make_alert(f"{p}-crit", severity="critical"))
    finally:
        await client.aclose()
    assert crit.alert is not None
    crit_id = crit.alert.alert_id

    # The feed: the audience follows the token, whatever the query asks within it.
    feeds = {
        role: await _feed(_ws(pipeline, "/ws/alerts", tokens[role], last_id=start), p, 3.0)
        for role in ("monitor", "regulator_desk", "oncall")
    }
    assert feeds == {
        "monitor": {f"{p}-plain", f"{p}-reg", f"{p}-crit"},
        "regulator_desk": {f"{p}-reg"},
        "oncall": {f"{p}-crit"},
    }
    narrowed = _ws(pipeline, "/ws/alerts", tokens["monitor"], last_id=start, role="oncall")
    assert await _feed(narrowed, p, 3.0) == {f"{p}-crit"}

    # The list (ClickHouse, archived by the worker about a second behind).
    async def listed(who: str, **params: str) -> set[str]:
        async with httpx.AsyncClient(
            base_url=pipeline.url, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=30
        ) as http:
            r = await http.get("/api/v1/alerts", params={"limit": "1000", **params})
        assert r.status_code in (200, 503), r.text
        return {a["rule_id"] for a in r.json().get("alerts", []) if a["rule_id"].startswith(p)}

    deadline = time.monotonic() + 60
    while len(await listed("monitor")) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert await listed("monitor") == {f"{p}-plain", f"{p}-reg", f"{p}-crit"}
    assert await listed("regulator_desk") == {f"{p}-reg"}
    assert await listed("oncall") == {f"{p}-crit"}
    assert await listed("regulator_desk", role="regulator_desk") == {f"{p}-reg"}

    async with httpx.AsyncClient(base_url=pipeline.url, timeout=30) as http:
        oncall = {"Authorization": f"Bearer {tokens['oncall']}"}
        wider = await http.get("/api/v1/alerts", params={"role": "monitoring"}, headers=oncall)
        assert wider.status_code == 403 and "oncall" in wider.json()["detail"]
        # On-call acknowledges its own alerts only; the regulator desk not the critical one.
        desk = {"Authorization": f"Bearer {tokens['regulator_desk']}"}
        refused = await http.post(f"/api/v1/alerts/{crit_id}/ack", json={"by": "desk"}, headers=desk)
        assert refused.status_code == 403 and "regulator_desk" in refused.json()["detail"]
        assert (await http.get(f"/api/v1/alerts/{crit_id}", headers=desk)).status_code == 403
        acked = await http.post(f"/api/v1/alerts/{crit_id}/ack", json={"by": "night"}, headers=oncall)
        assert acked.status_code == 200 and acked.json()["alert"]["acked_by"] == "night"


@pytest.mark.services
async def test_an_audience_beyond_the_role_closes_the_feed_with_1008(
    pipeline: Pipeline, tokens: dict[str, str]
) -> None:
    for role, asked in (("oncall", "monitoring"), ("regulator_desk", "oncall"), ("oncall", "regulator_desk")):
        async with websockets.connect(_ws(pipeline, "/ws/alerts", tokens[role], role=asked)) as ws:
            try:
                error = json.loads(await asyncio.wait_for(ws.recv(), 10))
                await asyncio.wait_for(ws.recv(), 10)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1008
                assert role in closed.rcvd.reason
            else:
                pytest.fail("the feed stayed open")
        assert error["code"] == 1008 and f"role {role!r}" in error["error"] and asked in error["error"]


@pytest.mark.services
def test_regulator_desk_exports_hold_only_forwarded_complaints(
    pipeline: Pipeline, tokens: dict[str, str]
) -> None:
    branch = f"acl-{secrets.token_hex(3)}"
    ingest = {"Authorization": f"Bearer {tokens['ingest']}"}
    for forwarded in (True, False):
        body = {
            "text": "我要向12378投诉手续费",
            "channel": "regulator" if forwarded else "web",
            "branch": branch,
        }
        if forwarded:
            body |= {"regulator_forwarded": True, "regulator_ref": f"12378-{branch}"}
        r = httpx.post(f"{pipeline.url}/api/v1/complaints", json=body, headers=ingest, timeout=10)
        assert r.status_code == 202, r.text

    def exported(role: str, **params: str) -> list[str]:
        r = httpx.get(
            f"{pipeline.url}/api/v1/exports/complaints.csv",
            params={"branch": branch, **params},
            headers={"Authorization": f"Bearer {tokens[role]}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return [line for line in r.text.splitlines()[1:] if branch in line]

    deadline = time.monotonic() + 60
    while len(exported("monitor")) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(exported("monitor")) == 2
    # The query cannot widen it: regulator_only=false is overridden on the server.
    desk = exported("regulator_desk", regulator_only="false")
    assert len(desk) == 1 and f"12378-{branch}" in desk[0]
    compliance = httpx.get(
        f"{pipeline.url}/api/v1/stats/deadline-compliance",
        headers={"Authorization": f"Bearer {tokens['regulator_desk']}"},
        timeout=30,
    )
    assert compliance.status_code == 200 and compliance.json()["regulator_only"] is True
    review = httpx.get(
        f"{pipeline.url}/api/v1/review",
        params={"dimension": "banking77", "limit": 500},
        headers={"Authorization": f"Bearer {tokens['regulator_desk']}"},
        timeout=30,
    )
    assert review.status_code == 200 and review.json()["regulator_only"] is True
    assert all(item["regulator_forwarded"] for item in review.json()["items"])
