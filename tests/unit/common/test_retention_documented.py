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
    # Every KV_* / OBJ_* name declared in names.py is in the one list and has a retention.
    declared_kv = {v for k, v in vars(names).items() if k.startswith("KV_") and isinstance(v, str)}
    declared_obj = {
        v for k, v in vars(names).items() if k.startswith("OBJ_") and isinstance(v, str)
    }
    assert set(names.KV_BUCKETS) == declared_kv
    assert set(names.OBJ_STORES) == declared_obj
    expected = {f"KV_{b}" for b in names.KV_BUCKETS} | {f"OBJ_{s}" for s in names.OBJ_STORES}
    assert set(plan) == expected
    jobs = jobs_stream_config(settings)
    assert jobs.max_age and jobs.max_bytes
    text = OPERATIONS.read_text()
    for stream, keep in plan.items():
        assert keep.ttl and keep.max_bytes > 0, stream
        assert f"`{stream}`" in text, f"{stream} is missing from docs/operations.md"
    assert f"`{names.JOBS_STREAM}`" in text
