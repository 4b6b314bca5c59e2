"""Every bucket and object store has a retention, and docs/operations.md lists each one."""

from __future__ import annotations

from pathlib import Path

from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.provisioning import jobs_stream_config, retention_plan

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def test_every_store_has_a_ttl_and_a_size_limit_and_is_documented() -> None:
    settings = Settings()
    plan = retention_plan(settings)
    buckets = [names.KV_FILES, names.KV_JOBS, names.KV_RESULTS, names.KV_RESULT_REFS]
    buckets += [names.KV_OWNER_INDEX, names.KV_SHARDS]
    buckets += [names.KV_EXPORTS, names.KV_CANCELS, names.KV_COLLECTIONS]
    stores = [names.OBJ_UPLOADS, names.OBJ_CORPORA, names.OBJ_RESULTS, names.OBJ_EXPORTS]
    assert set(plan) == {f"KV_{b}" for b in buckets} | {f"OBJ_{s}" for s in stores}
    jobs = jobs_stream_config(settings)
    assert jobs.max_age and jobs.max_bytes
    text = OPERATIONS.read_text()
    for stream, keep in plan.items():
        assert keep.ttl and keep.max_bytes > 0, stream
        assert f"`{stream}`" in text, f"{stream} is missing from docs/operations.md"
    assert f"`{names.JOBS_STREAM}`" in text
