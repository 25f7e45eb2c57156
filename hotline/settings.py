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

    # -- broker --------------------------------------------------------------------------------------
    kafka_url: str = Field("kafka://127.0.0.1:19092", description="Kafka bootstrap server(s).")
    broker_kind: Literal["tansu", "kafka"] = Field(
        "tansu", description="`tansu` applies the workarounds the local Tansu broker needs."
    )
    topic_prefix: str = Field("hotline", description="Prefix of every topic name and the Faust app id.")
    topic_partitions: int = Field(1, ge=1, le=256, description="Partitions of the keyed topics.")
    topic_replication_factor: int = Field(1, ge=1, le=5, description="Replicas of each topic.")
    produce_timeout_s: float = Field(5.0, gt=0, description="How long ingest waits for the broker's ack.")

    # -- redis ---------------------------------------------------------------------------------------
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis for alert fan-out and models.")
    redis_key_prefix: str = Field("hotline", description="Prefix of every Redis key.")
    alert_stream_maxlen: int = Field(100_000, ge=1000, description="Alerts kept in the Redis stream.")

    # -- clickhouse ----------------------------------------------------------------------------------
    clickhouse_url: str = Field(
        "clickhouse://default:@127.0.0.1:19000/hotline", description="ClickHouse native-protocol URL."
    )
    clickhouse_http_port: int = Field(18123, description="HTTP port of the locally started ClickHouse.")
    sink_batch_rows: int = Field(1000, ge=1, description="Rows per ClickHouse insert.")
    sink_flush_s: float = Field(1.0, gt=0, description="Longest wait before a partial batch is inserted.")
    sink_max_buffer_rows: int = Field(100_000, ge=1, description="Buffered rows before backpressure.")

    # -- api -----------------------------------------------------------------------------------------
    api_host: str = Field("127.0.0.1", description="Interface the API binds to.")
    api_port: int = Field(8080, description="Port of the API, websockets and dashboard.")
    api_token: SecretStr | None = Field(None, description="Bearer token for the API (required).")
    pii_hash_key: SecretStr | None = Field(
        None, description="HMAC key for customer references: only their keyed hash is stored."
    )
    api_access_log: bool = Field(False, description="Log every HTTP request (costly at high ingest rates).")
    max_text_chars: int = Field(20_000, ge=1, description="Longest complaint text accepted.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body accepted (413).")

    # -- models --------------------------------------------------------------------------------------
    model_signing_key: SecretStr | None = Field(
        None, description="HMAC key that signs model snapshots (required to load one)."
    )
    bootstrap_data: Path = Field(
        PROJECT_ROOT.parent / "shared" / "datasets" / "banking77" / "train.csv",
        description="CSV (text,category) the demo model is bootstrapped from.",
    )
    model_dimension: str = Field("banking77", description="Taxonomy dimension the bootstrap data labels.")

    # -- stream processing ---------------------------------------------------------------------------
    classify_batch_size: int = Field(500, ge=1, description="Largest micro-batch the classify agent takes.")
    classify_batch_s: float = Field(0.05, gt=0, description="Longest wait to fill a micro-batch.")
    rules_path: Path = Field(PROJECT_ROOT / "config" / "rules.yaml", description="Alert rules file.")
    rules_reload_s: float = Field(5.0, gt=0, description="How often workers re-read the rules.")
    window_retention_s: int = Field(2 * 3600, ge=60, description="How long window counts are kept.")
    alert_dedup_ttl_s: int = Field(7 * 24 * 3600, ge=60, description="How long an alert key stays unique.")

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
    def clickhouse_host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.clickhouse_url)
        return parts.hostname or "127.0.0.1", parts.port or 9000

    @property
    def clickhouse_database(self) -> str:
        return urlsplit(self.clickhouse_url).path.lstrip("/") or "default"

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
