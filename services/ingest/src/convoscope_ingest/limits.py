"""Resource limits for one parse (defaults match ``convoscope_common.config.Settings``)."""

from __future__ import annotations

import msgspec

from convoscope_common.config import Settings

MB = 1024 * 1024


class ParseLimits(msgspec.Struct, frozen=True, kw_only=True):
    """What one upload may cost; every limit is checked while reading, not from headers."""

    max_bytes: int = 100 * MB
    max_uncompressed_bytes: int = 1024 * MB
    max_compression_ratio: float = 200.0
    max_json_depth: int = 64
    max_zip_members: int = 10_000
    # Nested ZIPs (batch ZIPs inside the download, or a Privacy Portal outer ZIP).
    max_zip_nesting: int = 3
    # The ratio check only starts once a member has produced this much data, so that
    # tiny, very repetitive files do not trip it.
    ratio_check_floor_bytes: int = 1 * MB

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        """Limits from the service settings (``CONVOSCOPE_MAX_*`` environment variables)."""
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_uncompressed_bytes=settings.max_uncompressed_bytes,
            max_compression_ratio=settings.max_compression_ratio,
            max_json_depth=settings.max_json_depth,
        )
