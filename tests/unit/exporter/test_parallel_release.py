"""With ``keep=False`` the parallel renderer hands each format over and keeps nothing."""

from __future__ import annotations

import gc

import pytest

from convoscope_exporter.parallel import can_fork, render_formats
from convoscope_exporter.pipeline import export_request, prepare_export
from convoscope_exporter.render import RenderedFile

FORMATS = ["csv", "json", "html"]


@pytest.mark.parametrize("processes", [1, 2])
def test_files_are_handed_over_not_kept(results, corpus, processes: int) -> None:
    if processes > 1 and not can_fork():
        pytest.skip("rendering processes are forked (Linux)")
    prepared = prepare_export(
        export_request(FORMATS, export_id="e", job_id="j", include_pii=False), results, corpus
    )
    handed: dict[str, list[RenderedFile]] = {}

    def on_rendered(fmt: str, files: list[RenderedFile], done: int, total: int) -> None:
        handed[fmt] = files

    frozen_before = gc.get_freeze_count()
    kept = render_formats(prepared, processes, on_rendered, keep=False)
    assert kept == {fmt: [] for fmt in FORMATS}
    assert sorted(handed) == sorted(FORMATS)
    assert all(files and files[0].data for files in handed.values())
    assert handed["json"][0].data == prepared.render("json")[0].data
    # The collector's permanent generation is handed back after the fork.
    assert gc.get_freeze_count() == frozen_before
