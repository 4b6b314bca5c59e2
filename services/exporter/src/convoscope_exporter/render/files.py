"""The rendered-file type and safe file names."""

from __future__ import annotations

import re

import msgspec

CONTENT_TYPES: dict[str, str] = {
    "zip": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class RenderedFile(msgspec.Struct, kw_only=True):
    """One output file of an export."""

    filename: str
    content_type: str
    data: bytes


def safe_stem(job_id: str) -> str:
    """``convoscope-<job_id>`` reduced to ``[A-Za-z0-9._-]`` (and never starting with a dot)."""
    cleaned = _UNSAFE.sub("_", job_id).strip("._-")[:80]
    return f"convoscope-{cleaned}" if cleaned else "convoscope-export"


def rendered(job_id: str, ext: str, data: bytes) -> RenderedFile:
    """A :class:`RenderedFile` named after the job, with the content type of ``ext``."""
    return RenderedFile(
        filename=f"{safe_stem(job_id)}.{ext}", content_type=CONTENT_TYPES[ext], data=data
    )
