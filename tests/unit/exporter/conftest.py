"""Fixtures for the exporter tests: the hand-built corpus/results and a manifest."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.filtering import ExportFilter
from convoscope_exporter.manifest import ExportManifest, build_manifest

_HERE = Path(__file__).parent


def _load(name: str) -> ModuleType:
    # Loaded by path under a unique name: tests run with --import-mode=importlib.
    qualified = f"convoscope_exporter_tests_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample() -> ModuleType:
    """The sample_data module (build_corpus, build_results, LONG_TEXT)."""
    return _load("sample_data")


@pytest.fixture(scope="session")
def browser() -> ModuleType:
    """The headless-Chromium helper module."""
    return _load("browser")


@pytest.fixture(scope="session")
def visual() -> ModuleType:
    """The poppler helper module (page images, text, word boxes)."""
    return _load("visual")


@pytest.fixture
def corpus(sample: ModuleType) -> Corpus:
    return sample.build_corpus()


@pytest.fixture
def results(sample: ModuleType) -> AnalysisResults:
    return sample.build_results()


@pytest.fixture
def manifest(results: AnalysisResults) -> ExportManifest:
    return build_manifest(
        results=results,
        export_id="exp_42",
        job_id="job_abc",
        formats=["csv", "xlsx", "pdf", "html", "json"],
        include_pii=False,
        flt=ExportFilter(),
        file_hash="sha256:" + "ab" * 32,
        created_at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
    )
