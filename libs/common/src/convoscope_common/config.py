"""Configuration from ``CONVOSCOPE_*`` environment variables (defaults from the seed)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

MB = 1024 * 1024


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Every setting a service reads; see README "Configuration"."""

    # One URL, or several separated by commas (the servers of a NATS cluster).
    nats_url: str = "nats://127.0.0.1:4222"
    # The service's own NATS identity (empty: connect without credentials).
    nats_user: str = ""
    nats_password: str = ""
    # Copies JetStream keeps of every stream, bucket and object store: 1 for one
    # server (`make run`), 3 for a 3-node cluster (compose.cluster.yaml).
    nats_replicas: int = 1
    host: str = "127.0.0.1"
    port: int = 5000
    metrics_port: int = 0  # 0: no separate metrics server (the gateway serves /metrics itself)
    max_upload_bytes: int = 100 * MB
    max_concurrent_jobs: int = 2
    # Processes that render the formats of one export at once (0: one per core).
    export_processes: int = 0
    job_timeout: float = 600.0
    cache_max_size: int = 1024 * MB
    upload_ttl: float = 24 * 3600.0
    export_ttl: float = 24 * 3600.0
    # Jobs, their result references and cached results are kept this long (then expire).
    result_ttl: float = 7 * 24 * 3600.0
    # Size limit of the uploads, corpora and exports-data object stores (each); the
    # results-data store is limited to twice CACHE_MAX_SIZE (LRU keeps it under one).
    store_max_bytes: int = 10 * 1024 * MB
    cors_origins: tuple[str, ...] = ("http://localhost:3000",)
    api_keys: tuple[str, ...] = ()
    rate_limit_per_minute: int = 600
    # Proxies whose X-Forwarded-For is believed (addresses or CIDR networks).
    trusted_proxies: tuple[str, ...] = ()
    # Per-key quotas (0: unlimited).
    max_active_jobs_per_key: int = 4
    max_high_priority_jobs_per_key: int = 1
    max_stored_bytes_per_key: int = 1024 * MB
    # Socket.IO: job rooms one connection may join, events per minute per connection.
    max_subscriptions_per_connection: int = 20
    socket_events_per_minute: int = 120
    allow_include_pii: bool = False
    # Privacy (the analyzer redacts with these; the gateway keys the cache on them).
    pseudonym_secret: str = ""
    privacy_operators: str = ""
    privacy_detect_names: bool = True
    privacy_default_region: str = "US"
    log_level: str = "INFO"
    log_format: str = "auto"  # auto | json | console
    ingest_timeout: float = 120.0
    upload_timeout: float = 600.0  # seconds an upload body may take to arrive
    ack_wait: float = 30.0
    export_wait: float = 5.0  # seconds POST /api/export waits before answering 202
    max_attempts: int = 3
    # A job of at least this many messages is analysed in shards over the bus, taken by
    # any analyzer replica (0: never); ``analysis_shards`` shards (0: none).
    shard_min_messages: int = 40_000
    analysis_shards: int = 8
    # An idle analyzer replica whose resident memory stays this many MB above what it
    # was when it started ends itself to be started afresh (0: never): the free space
    # its allocators keep after large jobs would otherwise raise every later job's peak.
    analyzer_recycle_mb: float = 32.0
    heartbeat_interval: float = 5.0
    # Path of the local launcher's status record (set by `make run`; empty under compose).
    launcher_status: str = ""
    max_uncompressed_bytes: int = 1024 * MB
    max_compression_ratio: float = 200.0
    max_json_depth: int = 64
    topic_taxonomy: str = ""  # path of a taxonomy file (JSON or TOML)
    topic_taxonomy_mode: str = "extend"  # extend | replace the default taxonomy
    # Prices per million tokens for the usage estimate's cost (JSON text or a file path;
    # see pricing.py). Empty: tokens only, no cost. No price ships with ConvoScope.
    price_table: str = ""


class ConfigurationError(ValueError):
    """A setting has a value the service cannot run with; the message names it."""


_ENV_PREFIX = "CONVOSCOPE_"


def _convert(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        # Commas or lines: a secret file may list one value a line.
        return tuple(part.strip() for part in raw.replace("\n", ",").split(",") if part.strip())
    return raw


def _read_secret_file(key: str, path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            # A trailing newline is how editors and `echo` end files, never part of a secret.
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise ConfigurationError(f"{key}: cannot read {path!r}: {exc.strerror}") from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; unknown variables are ignored.

    Every setting may instead come from a file: ``CONVOSCOPE_<NAME>_FILE`` holds its
    path (Docker/compose secrets); a non-empty variable wins over the file.
    Raises :class:`ConfigurationError` naming the variable when a value cannot be converted.
    """
    env = os.environ if env is None else env
    defaults = Settings()
    values: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        key = _ENV_PREFIX + field.name.upper()
        raw: str | None = None
        if env.get(key + "_FILE") and not env.get(key):
            # An empty variable next to a file (compose passes both) does not hide the file.
            raw = _read_secret_file(key + "_FILE", env[key + "_FILE"])
        elif key in env:
            raw = env[key]
        if raw is not None:
            try:
                values[field.name] = _convert(raw, getattr(defaults, field.name))
            except ValueError as exc:
                if key in env:
                    raise ConfigurationError(f"{key}: cannot use {raw!r}: {exc}") from None
                # Never echo a value read from a file: it may be a secret.
                raise ConfigurationError(
                    f"{key}_FILE: the file's content is not a valid value"
                ) from None
    if "NATS_URL" in env and "nats_url" not in values:
        values["nats_url"] = env["NATS_URL"]
    settings = msgspec.structs.replace(defaults, **values)
    if settings.nats_replicas not in (1, 3, 5):
        # JetStream clusters keep an odd number of copies so a majority can elect a leader.
        raise ConfigurationError(
            f"{_ENV_PREFIX}NATS_REPLICAS: cannot use {settings.nats_replicas}: use 1, 3 or 5"
        )
    if not settings.analyzer_recycle_mb >= 0:  # NaN too
        raise ConfigurationError(
            f"{_ENV_PREFIX}ANALYZER_RECYCLE_MB: cannot use {settings.analyzer_recycle_mb}: "
            "use 0 (never) or a number of megabytes"
        )
    return settings
