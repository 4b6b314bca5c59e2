"""In-memory ZIPs for tests (the unit and integration ingest tests share one builder)."""

from __future__ import annotations

import io
import zipfile


def make_zip(members: dict[str, bytes]) -> bytes:
    """An in-memory ZIP with the given members (deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
