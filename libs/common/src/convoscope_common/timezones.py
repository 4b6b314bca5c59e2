"""One name per time zone, so aliases never split the result cache.

``UTC``, ``Etc/UTC``, ``Zulu``, ``GMT0``... are one zone; ``US/Pacific`` is a
link to ``America/Los_Angeles``; ``localtime`` is whatever the host's
``/etc/localtime`` points at. Each analysis's timezone is normalised to the
canonical name before the cache key is computed, so equal analyses share one
cache entry and ``localtime`` never means different zones on different hosts.
"""

from __future__ import annotations

import os
import zoneinfo

UTC_ALIASES = frozenset(
    {
        "UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu",
        "GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0",
        "Greenwich", "Etc/Greenwich",
    }
)  # fmt: skip


class UnknownTimezoneError(ValueError):
    """The name is not an IANA time zone (or ``localtime`` cannot be resolved here)."""


def _link_target(name: str) -> str | None:
    """The zone a tz-database link (a symlink in the system database) points to."""
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, name)
        if os.path.islink(path):
            real = os.path.realpath(path)
            for base in zoneinfo.TZPATH:
                base_real = os.path.realpath(base)
                if real.startswith(base_real + os.sep):
                    return os.path.relpath(real, base_real)
            return None
        if os.path.exists(path):
            return name
    return name  # from the tzdata package (no symlinks): the name as given


def canonical_timezone(name: str) -> str:
    """The canonical IANA name for ``name``; :class:`UnknownTimezoneError` if there is none."""
    name = name.strip()
    if name in UTC_ALIASES:
        return "UTC"
    if name == "localtime":
        target = _link_target("localtime")
        if target is None or target == "localtime":
            raise UnknownTimezoneError(
                "'localtime' cannot be resolved on this server; use an IANA name"
            )
        name = target
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezoneError(f"unknown timezone {name!r}") from None
    resolved = _link_target(name) or name
    if resolved in UTC_ALIASES:
        return "UTC"
    return resolved
