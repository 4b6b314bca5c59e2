"""``python -m convoscope_gateway``: serve the REST API and Socket.IO."""

from __future__ import annotations

import sys

from aiohttp import web

from convoscope_common.config import ConfigurationError, load_settings
from convoscope_common.logs import configure_logging
from convoscope_gateway.app import create_app


def main() -> int:
    """Run the gateway until SIGTERM / SIGINT (aiohttp shuts down gracefully)."""
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"convoscope-gateway: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_logging("gateway", settings.log_level, settings.log_format)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        shutdown_timeout=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
