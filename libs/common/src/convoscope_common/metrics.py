"""Prometheus helpers shared by the services."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

__all__ = [
    "CONTENT_TYPE_LATEST",
    "Counter",
    "Gauge",
    "Histogram",
    "render_metrics",
    "serve_metrics",
]


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose ``/metrics`` on its own port (worker services have no web app)."""
    if port > 0:
        start_http_server(port, addr=host)


def render_metrics(registry: CollectorRegistry = REGISTRY) -> bytes:
    """The text exposition of every metric in ``registry``."""
    return generate_latest(registry)
