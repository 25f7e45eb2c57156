"""The review queue on the real stack: complaints posted, classified by the worker with a
bootstrapped model, stored with their margins, listed least sure first, per dimension and role,
and gone from the queue once labelled through the labels endpoint.

A worker and an API of their own (own topics, Redis keys and ClickHouse database), so the queue
holds exactly this test's complaints and its labels teach no other test's model.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from storage.api_tokens import ApiTokenStore
from storage.clickhouse import NO_MARGIN, DriverExecutor, missing_migrations
from tests.conftest import Stack
from tests.e2e.isolated_pipeline import IsolatedPipeline, isolated_pipeline

pytestmark = pytest.mark.services

#: Banking questions from clear to vague, so the model's margins spread out.
TEXTS = [
    "How do I activate my new card?",
    "What is the exchange rate for euros today?",
    "My card has not arrived yet.",
    "I think someone stole my card and used it",
    "Why was I charged a fee for my transfer?",
    "Something is wrong with my account",
    "money",
    "I need help please",
    "The transfer is still pending and my card was declined at the ATM",
    "Can I change my PIN or top up by card?",
    "信用卡被收了很高的手续费",  # business_line decided by a keyword rule: no margin there
    "Where is my refund for the returned item?",
]
#: Regulator-forwarded complaints (the regulator desk's part of the queue).
FORWARDED_TEXTS = [
    "I want to complain to the regulator about a charge I do not recognise",
    "My top up failed twice and nobody answers",
    "The app says my identity verification failed",
]


def _role_token(env: dict[str, str], role: str) -> str:
    """A token of ``role`` in this pipeline's own Redis prefix (as `hotline tokens create`)."""

    async def create() -> str:
        client = aioredis.Redis.from_url(env["HOTLINE_REDIS_URL"])
        try:
            store = ApiTokenStore(client, key_prefix=env["HOTLINE_REDIS_KEY_PREFIX"])
            return (await store.create(name=f"review-{role}", role=role))[1]
        finally:
            await client.aclose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(create())).result()


class Review:
    """The pipeline, a token per role, and the ids of the complaints posted."""

    def __init__(self, pipeline: IsolatedPipeline) -> None:
        self.pipeline = pipeline
        self.tokens = {
            role: _role_token(pipeline.env, role)
            for role in ("monitor", "regulator_desk", "ingest", "oncall")
        }
        self.plain: list[str] = []
        self.forwarded: list[str] = []

    def executor(self) -> DriverExecutor:
        return DriverExecutor.from_url(self.pipeline.env["HOTLINE_CLICKHOUSE_URL"])

    def queue(self, role: str = "monitor", **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.pipeline.url}/api/v1/review",
            params={"dimension": "banking77", "limit": 500, **params},
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=30,
        )

    def listed(self, role: str = "monitor", **params: Any) -> list[str]:
        response = self.queue(role, **params)
        assert response.status_code == 200, response.text
        return [item["complaint_id"] for item in response.json()["items"]]

    def label(
        self, complaint_id: str, tag: str, *, role: str = "monitor", dimension: str = "banking77"
    ) -> None:
        response = httpx.post(
            f"{self.pipeline.url}/api/v1/complaints/{complaint_id}/labels",
            json={"dimension": dimension, "tag": tag},
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=10,
        )
        assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
def review(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    base = stack.settings.clickhouse_url.rsplit("/", 1)[0]
    database = f"hotline_review_{secrets.token_hex(3)}"
    with isolated_pipeline(
        stack.env,
        Path(tmp_path_factory.mktemp("review")) / "logs",
        HOTLINE_CLICKHOUSE_URL=f"{base}/{database}",
    ) as pipeline:
        holder = Review(pipeline)
        complaints = []
        for i, text in enumerate(TEXTS):
            holder.plain.append(f"rq-{i}")
            complaints.append({"id": f"rq-{i}", "text": text, "channel": "app"})
        for i, text in enumerate(FORWARDED_TEXTS):
            holder.forwarded.append(f"rq-reg-{i}")
            complaints.append(
                {
                    "id": f"rq-reg-{i}",
                    "text": text,
                    "channel": "regulator",
                    "regulator_forwarded": True,
                    "regulator_ref": f"12378-rq-{i}",
                }
            )
        posted = httpx.post(
            f"{pipeline.url}/api/v1/complaints/batch",
            json={"complaints": complaints},
            headers=pipeline.auth(),
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        executor = holder.executor()
        try:

            def stored() -> bool:
                if missing_migrations(executor):  # the worker applies them as it starts
                    return False
                rows = executor.execute("SELECT uniqExact(event_id) FROM complaints")
                return int(rows[0][0]) == len(complaints)

            pipeline.wait_for("the complaints to be classified and stored", stored, 60)
        finally:
            executor.close()
        try:
            yield holder
        finally:
            cleanup = holder.executor()
            try:
                cleanup.execute(f"DROP DATABASE IF EXISTS {database}")
            finally:
                cleanup.close()


def _stored_order(review: Review, *, forwarded_only: bool = False) -> list[tuple[str, float]]:
    """The banking77 tags the model decided, as ClickHouse stores them, in the queue's order."""
    executor = review.executor()
    try:
        rows = executor.execute(
            "SELECT event_id, received_at, regulator_forwarded, tag_dimensions, tag_sources, tag_margins"
            " FROM complaints"
        )
    finally:
        executor.close()
    ranked = []
    for event_id, received_at, forwarded, dims, sources, margins in rows:
        assert len(margins) == len(dims), f"{event_id}: margins not aligned with the tags"
        tags = dict(zip(dims, zip(sources, margins, strict=True), strict=True))
        for source, margin in tags.values():
            # A keyword rule has no margin; a model's is in [0, 1] (none for a remembered label).
            assert (
                margin == NO_MARGIN if source == "rules" else (margin == NO_MARGIN or 0 <= margin <= 1 + 1e-6)
            )
        source, margin = tags.get("banking77", ("", NO_MARGIN))
        if source == "model" and margin >= 0 and (forwarded or not forwarded_only):
            ranked.append((margin, -received_at.timestamp(), event_id))
    return [(event_id, margin) for margin, _, event_id in sorted(ranked)]


def test_the_worker_stores_a_margin_per_tag(review: Review) -> None:
    executor = review.executor()
    try:
        rows = executor.execute(
            "SELECT tag_dimensions, tag_sources, tag_margins, tag_confidences FROM complaints"
            " WHERE event_id = %(id)s LIMIT 1",
            {"id": f"rq-{TEXTS.index('信用卡被收了很高的手续费')}"},
        )
    finally:
        executor.close()
    dims, sources, margins, confidences = rows[0]
    by_dim = dict(zip(dims, zip(sources, margins, confidences, strict=True), strict=True))
    assert by_dim["business_line"][:2] == ("rules", NO_MARGIN)  # a keyword decided: no margin
    source, margin, confidence = by_dim["banking77"]
    assert source == "model" and 0 <= margin <= confidence + 1e-6


def test_least_sure_first_within_limit_and_dimension(review: Review) -> None:
    expected = _stored_order(review)
    assert len(expected) >= len(TEXTS)  # the bootstrapped model decided banking77 for (nearly) all
    response = review.queue()
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"]
    assert [(i["complaint_id"], i["margin"]) for i in items] == [
        (e, pytest.approx(m, abs=1e-5)) for e, m in expected
    ]
    margins = [item["margin"] for item in items]
    assert margins == sorted(margins) and margins[0] < margins[-1]
    first = items[0]
    assert (
        first["tag"] and first["text"] in TEXTS + FORWARDED_TEXTS and first["channel"] in ("app", "regulator")
    )
    assert 0 <= first["margin"] <= first["confidence"] <= 1 and first["model_version"].startswith("tagger@")
    assert body["regulator_only"] is False and body["dimension"]["id"] == "banking77"
    assert len(body["dimension"]["tags"]) == 77 and body["dimension"]["tags"][0]["name"]["zh"]

    assert review.listed(limit=3) == [e for e, _ in expected[:3]]
    # Only keyword rules decide `cause` (its model has learned nothing): nothing to review there.
    cause = review.queue(dimension="cause")
    assert cause.status_code == 200 and cause.json()["items"] == []
    assert {t["id"] for t in cause.json()["dimension"]["tags"]} >= {"fees_pricing", "service_attitude"}
    unknown = review.queue(dimension="colour")
    assert unknown.status_code == 422
    assert "unknown dimension 'colour'" in unknown.json()["detail"]
    assert unknown.json()["errors"][0]["loc"] == ["query", "dimension"]
    assert review.queue(limit=0).status_code == 422
    dims = httpx.get(
        f"{review.pipeline.url}/api/v1/review/dimensions",
        headers={"Authorization": f"Bearer {review.tokens['regulator_desk']}"},
        timeout=10,
    )
    assert dims.status_code == 200
    assert [d["id"] for d in dims.json()["dimensions"]][-1] == "banking77"


def test_roles_and_the_regulator_desk_sees_forwarded_only(review: Review) -> None:
    for role in ("ingest", "oncall"):
        refused = review.queue(role)
        assert refused.status_code == 403 and f"role {role!r}" in refused.json()["detail"]
    desk = review.queue("regulator_desk")
    assert desk.status_code == 200 and desk.json()["regulator_only"] is True
    expected = [e for e, _ in _stored_order(review, forwarded_only=True)]
    assert [i["complaint_id"] for i in desk.json()["items"]] == expected
    assert set(expected) <= set(review.forwarded) and expected
    assert all(item["regulator_forwarded"] for item in desk.json()["items"])
    assert (
        httpx.get(f"{review.pipeline.url}/api/v1/review", params={"dimension": "banking77"}).status_code
        == 401
    )


def test_a_labelled_complaint_leaves_the_queue(review: Review) -> None:
    before = review.listed()
    first, second = before[0], before[1]
    review.label(first, "card_arrival")
    assert review.listed() == before[1:]
    # A label in another dimension leaves this dimension's queue as it is.
    review.label(second, "service_attitude", dimension="cause")
    assert review.listed() == before[1:]
    # The regulator desk labels from its queue: gone from its queue and from everyone's.
    desk = review.listed("regulator_desk")
    review.label(desk[0], "card_arrival", role="regulator_desk")
    assert review.listed("regulator_desk") == desk[1:]
    assert desk[0] not in review.listed() and len(review.listed()) == len(before) - 2
    executor = review.executor()
    try:
        archived = executor.execute("SELECT complaint_id, dimension, tag, who FROM complaint_labels")
    finally:
        executor.close()
    assert sorted(archived) == sorted(
        [
            (first, "banking77", "card_arrival", "review-monitor"),
            (second, "cause", "service_attitude", "review-monitor"),
            (desk[0], "banking77", "card_arrival", "review-regulator_desk"),
        ]
    )
    assert review.listed(limit=500) == [c for c in before[1:] if c != desk[0]]
