"""Model status: ``GET /api/v1/models`` (JSON) and ``GET /metrics`` (Prometheus text format, with
the API's own request metrics).

The numbers come from the workers through Redis (the API process tags nothing itself): the
learner stores its prequential accuracy with each snapshot's metadata, and the classify agents
count predictions and report the version they have loaded (``storage.model_metrics``).
``/metrics`` needs the API token like every other route; give Prometheus the token with
``authorization: {credentials: <token>}`` in the scrape config.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from api.auth import require
from api.deps import RedisDep, SettingsDep
from api.taxonomy_source import TaxonomyDep
from online_models import PrequentialAccuracy, Taxonomy
from storage.model_metrics import ModelMetricsStore
from storage.model_registry import TAGGER_MODEL_NAME, ModelRegistry

__all__ = ["ModelStatus", "router"]

#: A worker that has not reported its model version for this long is considered gone.
WORKER_TIMEOUT_S = 30.0
#: Predictions per second are averaged over this many whole seconds.
RATE_WINDOW_S = 10

router = APIRouter(tags=["models"])


class DimensionStatus(BaseModel):
    id: str
    name: dict[str, str]
    tags: int
    labels: int
    prequential_accuracy: float | None
    prequential_window: int
    #: How the dimension's model configuration was chosen (bootstrap validation), if recorded.
    model_choice: dict[str, Any] | None = None


class ModelStatus(BaseModel):
    model: str
    version: str | None
    source: str | None
    published_at: float | None
    size_bytes: int | None
    labels_learned_up_to_offset: int | None
    dimensions: list[DimensionStatus]
    predictions_per_s: float
    predictions_total: int
    workers: dict[str, dict[str, Any]]


async def _status(redis: RedisDep, settings: SettingsDep, taxonomy: Taxonomy) -> ModelStatus:
    registry = ModelRegistry(redis, key_prefix=settings.redis_key_prefix)
    metrics = ModelMetricsStore(redis, key_prefix=settings.redis_key_prefix)
    meta = await registry.meta(TAGGER_MODEL_NAME)
    version = await registry.version(TAGGER_MODEL_NAME)
    if meta is not None and meta.version != version:
        meta = None  # a snapshot saved without metadata (older code): only its version is known
    saved = meta.extra.get("prequential") if meta is not None else None
    summary = PrequentialAccuracy.from_state(saved).summary() if saved else {}
    choices = dict(meta.extra.get("model_choices") or {}) if meta is not None else {}
    dimensions = [
        DimensionStatus(
            id=d.id,
            name={"zh": d.name.zh, "en": d.name.en},
            tags=len(d.tag_ids),
            labels=int(summary.get(d.id, {}).get("labels", 0)),
            prequential_accuracy=summary.get(d.id, {}).get("accuracy"),
            prequential_window=int(summary.get(d.id, {}).get("window", 0)),
            model_choice=choices.get(d.id),
        )
        for d in taxonomy.dimensions
    ]
    return ModelStatus(
        model=TAGGER_MODEL_NAME,
        version=version,
        source=meta.source if meta else None,
        published_at=meta.published_at if meta else None,
        size_bytes=meta.size if meta else None,
        labels_learned_up_to_offset=meta.labels_offset if meta else None,
        dimensions=dimensions,
        predictions_per_s=await metrics.predictions_per_s(window_s=RATE_WINDOW_S),
        predictions_total=await metrics.predictions_total(),
        workers=dict(await metrics.workers(max_age_s=WORKER_TIMEOUT_S)),
    )


@router.get("/api/v1/models", response_model=ModelStatus, dependencies=[Depends(require("models.read"))])
async def model_status(redis: RedisDep, settings: SettingsDep, taxonomy: TaxonomyDep) -> ModelStatus:
    """The published model, prequential accuracy and label counts per dimension, predictions/s,
    and the version each live worker has loaded."""
    return await _status(redis, settings, taxonomy)


class _StatusCollector:
    """Turns one ``ModelStatus`` into Prometheus metric families (built per scrape)."""

    def __init__(self, status: ModelStatus) -> None:
        self.status = status

    def collect(self) -> list[Metric]:
        s = self.status
        info = GaugeMetricFamily(
            "hotline_model_info", "The published model version (value 1).", labels=["version"]
        )
        if s.version is not None:
            info.add_metric([s.version], 1.0)
        published = GaugeMetricFamily(
            "hotline_model_published_timestamp_seconds", "When the published model was saved."
        )
        if s.published_at is not None:
            published.add_metric([], s.published_at)
        labels = CounterMetricFamily(
            "hotline_model_labels", "Labels learned per dimension (all time).", labels=["dimension"]
        )
        accuracy = GaugeMetricFamily(
            "hotline_model_prequential_accuracy",
            "Share of labels the model predicted right before learning them (rolling window).",
            labels=["dimension"],
        )
        window = GaugeMetricFamily(
            "hotline_model_prequential_window", "Labels in the rolling accuracy window.", labels=["dimension"]
        )
        for d in s.dimensions:
            labels.add_metric([d.id], d.labels)
            window.add_metric([d.id], d.prequential_window)
            if d.prequential_accuracy is not None:
                accuracy.add_metric([d.id], d.prequential_accuracy)
        predictions = CounterMetricFamily("hotline_model_predictions", "Complaints tagged by all workers.")
        predictions.add_metric([], s.predictions_total)
        rate = GaugeMetricFamily(
            "hotline_model_predictions_per_second", f"Complaints tagged per second (last {RATE_WINDOW_S} s)."
        )
        rate.add_metric([], s.predictions_per_s)
        workers = GaugeMetricFamily(
            "hotline_model_workers", "Live workers by the model version they have loaded.", labels=["version"]
        )
        by_version: dict[str, int] = {}
        for entry in s.workers.values():
            key = str(entry.get("version") or "none")
            by_version[key] = by_version.get(key, 0) + 1
        for key, count in sorted(by_version.items()):
            workers.add_metric([key], count)
        return [info, published, labels, accuracy, window, predictions, rate, workers]


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require("metrics.read"))],
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(
    request: Request, redis: RedisDep, settings: SettingsDep, taxonomy: TaxonomyDep
) -> Response:
    """Prometheus text format of the numbers in ``/api/v1/models``, then the API's own
    (``api.api_metrics``: requests, latency, status codes, websocket clients)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StatusCollector(await _status(redis, settings, taxonomy)))
    api_numbers = generate_latest(request.app.state.api_metrics.registry)
    return Response(generate_latest(registry) + api_numbers, media_type=CONTENT_TYPE_LATEST)
