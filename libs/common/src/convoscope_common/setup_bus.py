"""``python -m convoscope_common.setup_bus``: create every stream, bucket and consumer once.

Run by the launcher (and compose's one-shot ``provision`` service) with the
provisioner identity before the services start; the services' own NATS users
cannot create or reconfigure streams. Exit code 0 when done, 1 when the bus did
not answer, 2 on unusable settings.
"""

from __future__ import annotations

import asyncio
import sys

from convoscope_common.bus import connect
from convoscope_common.config import ConfigurationError, Settings, load_settings
from convoscope_common.provisioning import provision


async def setup(settings: Settings) -> None:
    """Connect with the configured identity, provision, and disconnect."""
    nc = await connect(
        settings.nats_url, "convoscope-provisioner", settings.nats_user, settings.nats_password
    )
    try:
        await provision(nc.jetstream(), settings)
    finally:
        await nc.drain()


def main() -> int:
    """Provision with the settings from the environment."""
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"convoscope-setup-bus: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(asyncio.wait_for(setup(settings), 60))
    except Exception as exc:  # one clear line: the launcher shows it
        print(f"convoscope-setup-bus: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
