"""claude.ai project side files: ``projects.json`` (an array) or ``projects/<uuid>.json``."""

from __future__ import annotations

import msgspec

from convoscope_common.corpus import Project
from convoscope_ingest.claude_raw import RawProject
from convoscope_ingest.errors import IngestError
from convoscope_ingest.health import HealthRecorder
from convoscope_ingest.jsonguard import check_depth, strip_bom
from convoscope_ingest.timeparse import parse_iso

_projects_decoder = msgspec.json.Decoder(list[RawProject] | RawProject)


def read_projects(
    name: str, data: bytes | bytearray, max_depth: int, health: HealthRecorder
) -> list[Project]:
    """Projects from one side file; an unreadable file is recorded as skipped, not fatal."""
    try:
        data = strip_bom(data)
        check_depth(data, max_depth)
        decoded = _projects_decoder.decode(data)
    except (IngestError, msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        health.skip(name, "unreadable project file", type(exc).__name__)
        return []
    raw_projects = decoded if isinstance(decoded, list) else [decoded]
    return [
        Project(
            id=p.uuid,
            name=p.name,
            created_at=parse_iso(p.created_at, health),
            documents=len(p.docs or []),
        )
        for p in raw_projects
        if p.uuid
    ]
