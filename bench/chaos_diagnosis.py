"""What a chaos run prints about the jobs that did not end: the job's record and its
shards' records as the bus holds them, and the services' last log lines about it, so a
hang can be read from the run's output (CI keeps only that) without the data dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import nats
from nats.js.errors import KeyDeletedError, KeyNotFoundError, NotFoundError

from convoscope_common import names
from convoscope_common.records import JobState, job_state_decoder
from convoscope_stack.stack import Stack

STAGES = ("detect", "analyze")
MAX_SHARDS = 16  # shard indexes looked up per stage (the first missing one ends the list)
LOG_LINES = 12  # last log lines about a job, per service
FIELDS = ("status", "progress", "current_step", "run_id", "attempts", "crashes", "solo")


def _describe(state: JobState) -> str:
    parts = [f"{name}={getattr(state, name)!r}" for name in FIELDS]
    parts.append(f"updated_at={state.updated_at.isoformat(timespec='milliseconds')}")
    if state.error is not None:
        parts.append(f"error={state.error.code}")
    return " ".join(parts)


async def _record(kv: Any, key: str) -> str | None:
    """One record described (a job's, a shard's or an export's); "deleted" for a delete
    marker, None when never written."""
    try:
        entry = await kv.get(key)
    except (KeyDeletedError, KeyNotFoundError) as missing:
        # nats-py says "not found" for a delete marker too, with the marker attached.
        marker = getattr(missing, "entry", None)
        if marker is None:
            return None
        return f"rev {marker.revision} deleted ({getattr(missing, 'op', None)} marker)"
    except NotFoundError:
        return None
    try:
        if key.startswith("export_"):
            record = msgspec.msgpack.decode(entry.value)
            shown = {name: record.get(name) for name in FIELDS if name in record}
            return f"rev {entry.revision} {shown}"
        return f"rev {entry.revision} " + _describe(job_state_decoder.decode(entry.value))
    except (msgspec.DecodeError, AttributeError):
        return f"rev {entry.revision} undecodable ({len(entry.value or b'')} bytes)"


async def _records(stack: Stack, job_ids: list[str]) -> list[str]:
    lines: list[str] = []
    nc = await nats.connect(stack.nats_url, connect_timeout=5, **stack.nats_connect_options())
    try:
        js = nc.jetstream()
        jobs = await js.key_value(names.KV_JOBS)
        exports = await js.key_value(names.KV_EXPORTS)
        shards = await js.key_value(names.KV_SHARDS)
        for job_id in job_ids:
            kv = exports if job_id.startswith("export_") else jobs
            lines.append(f"  {job_id}: {await _record(kv, job_id)}")
            for stage in STAGES:
                for index in range(MAX_SHARDS):
                    described = await _record(shards, f"{job_id}.{stage}.{index}")
                    if described is None:
                        break
                    lines.append(f"    shard {stage}.{index}: {described}")
    finally:
        await nc.close()
    return lines


def _log_tail(log_dir: Path, job_ids: list[str]) -> list[str]:
    lines: list[str] = []
    for path in sorted(log_dir.glob("*.log")):
        text = path.read_text(errors="replace").splitlines()
        about = [line for line in text if any(job_id in line for job_id in job_ids)]
        shown = about[-LOG_LINES:] if about else text[-3:]
        what = "about the stuck jobs" if about else "(nothing about them; its last lines)"
        lines.append(f"  {path.name}, last {len(shown)} lines {what}:")
        lines += [f"    {_short(line)}" for line in shown]
    return lines


def _short(line: str) -> str:
    """A JSON log line without the fields every line repeats."""
    try:
        record = json.loads(line)
    except ValueError:
        return line[:300]
    if not isinstance(record, dict):
        return line[:300]
    for name in ("service", "level", "file_id", "cpu_seconds", "rss_mb", "ok"):
        record.pop(name, None)
    return json.dumps(record)[:300]


async def diagnose(stack: Stack, job_ids: list[str]) -> list[str]:
    """Lines describing ``job_ids`` (jobs that did not end): records, then log lines."""
    lines = [f"jobs without a final state: {', '.join(job_ids)}", "records:"]
    try:
        lines += await _records(stack, job_ids)
    except Exception as exc:  # the bus may be the thing that is stuck
        lines.append(f"  records unreadable: {type(exc).__name__}: {exc}")
    lines.append(f"logs ({stack.log_dir}):")
    lines += _log_tail(stack.log_dir, job_ids)
    return lines
