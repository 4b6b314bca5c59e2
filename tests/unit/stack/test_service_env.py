"""What each service process of a local stack is started with."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_stack.stack import SHARDS_ENV, Stack


def _env(tmp_path: Path, replicas: int, **extra: str) -> dict[str, str]:
    stack = Stack(tmp_path, nats_url="nats://127.0.0.1:1", analyzer_replicas=replicas, env=extra)
    return stack._env("analyzer")


def test_one_analyzer_does_not_split_jobs_into_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHARDS_ENV, raising=False)
    # Its shards would all queue on itself: the one-process pipeline, without the split.
    assert _env(tmp_path, 1)[SHARDS_ENV] == "0"
    # Two or more take each other's shards: the configured default stands.
    assert SHARDS_ENV not in _env(tmp_path, 2)
    # Set by the person who runs it (or a test): kept, from the stack's env or the shell's.
    assert _env(tmp_path, 1, **{SHARDS_ENV: "4"})[SHARDS_ENV] == "4"
    monkeypatch.setenv(SHARDS_ENV, "3")
    assert _env(tmp_path, 1)[SHARDS_ENV] == "3"
