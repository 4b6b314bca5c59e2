"""Fixtures for the ingest unit tests: sample exports, the export generator, ZIP builders."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.zips import make_zip

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def sample() -> Callable[[str], bytes]:
    """Read one of the real-shape samples copied from shared/formats."""

    def read(name: str) -> bytes:
        return (DATA / name).read_bytes()

    return read


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """bench/generate_export.py, imported by path (bench/ is not a package)."""
    path = REPO / "bench" / "generate_export.py"
    spec = importlib.util.spec_from_file_location("generate_export", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def zip_of() -> Callable[[dict[str, bytes]], bytes]:
    """Build in-memory ZIPs: ``zip_of({"name": b"data"})``."""
    return make_zip
