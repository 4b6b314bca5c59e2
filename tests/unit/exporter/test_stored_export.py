"""The service's stored-bytes path renders exactly what the decoded path renders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convoscope_common.corpus import encode_corpus
from convoscope_common.results import encode_results
from convoscope_exporter.errors import InvalidFilterError, UnsupportedExportFormatError
from convoscope_exporter.parallel import can_fork, render_formats
from convoscope_exporter.pipeline import prepare_export
from convoscope_exporter.render import RenderedFile
from convoscope_exporter.stored import StoredExport

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# Formats whose bytes do not depend on the time they were written (XLSX and PDF stamp
# their own creation time; test_render compares those through their readers).
STABLE = ["csv", "html", "json"]


def _stored(results, corpus, formats, **options) -> StoredExport:
    return StoredExport(
        formats,
        bytearray(encode_results(results)),
        bytearray(encode_corpus(corpus)),
        export_id="e",
        job_id="j",
        include_pii=False,
        created_at=CREATED,
        **options,
    )


def _expected(results, corpus, formats, **options) -> dict[str, list[RenderedFile]]:
    prepared = prepare_export(
        formats, results, corpus, export_id="e", job_id="j", include_pii=False,
        created_at=CREATED, **options,
    )  # fmt: skip
    return {fmt: prepared.render(fmt) for fmt in formats}


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("raw_filter", [None, {"roles": ["user"]}])
def test_same_files_as_the_decoded_inputs(results, corpus, processes, raw_filter) -> None:
    if processes > 1 and not can_fork():
        pytest.skip("rendering processes are forked (Linux)")
    source = _stored(results, corpus, STABLE, raw_filter=raw_filter)
    got = render_formats(source, processes)
    assert got == _expected(results, corpus, STABLE, raw_filter=raw_filter)


def test_share_safe_report_from_stored_bytes(results, corpus) -> None:
    source = _stored(results, corpus, ["html", "pdf"], share_safe_k=3)
    prepared = source.prepared_for("html")
    assert prepared.corpus is None  # the share-safe report reads the results only
    got = prepared.render("html")
    assert got == _expected(results, corpus, ["html", "pdf"], share_safe_k=3)["html"]
    assert source.prepared_for("pdf").render("pdf")[0].data.startswith(b"%PDF")


def test_json_alone_does_not_decode_the_corpus(results, corpus) -> None:
    source = _stored(results, corpus, ["json", "csv"])
    prepared = source.prepared_for("json")
    assert prepared.corpus is None
    json_files = prepared.render("json")
    assert json_files == _expected(results, corpus, ["json", "csv"])["json"]
    # The corpus is decoded when a format that shows conversations comes next; the
    # manifest still lists every format of the export.
    with_corpus = source.prepared_for("csv")
    assert with_corpus.corpus is not None
    assert with_corpus.manifest == prepared.manifest
    assert with_corpus.render("json") == json_files


def test_a_filter_always_decodes_the_corpus(results, corpus) -> None:
    source = _stored(results, corpus, ["json"], raw_filter={"roles": ["user"]})
    assert source.prepared_for("json").corpus is not None


def test_bytes_are_released_once_decoded(results, corpus) -> None:
    source = _stored(results, corpus, ["csv"])
    source.prepared_for("csv")
    source.release()
    assert source.prepared_for("csv").render("csv")  # decoded already: nothing to read


def test_bad_requests_fail_before_anything_is_decoded(results, corpus) -> None:
    with pytest.raises(UnsupportedExportFormatError):
        StoredExport(["csv", "doc"], b"", b"", export_id="e", job_id="j", include_pii=False)
    with pytest.raises(InvalidFilterError):
        StoredExport(
            ["csv"], b"", b"", export_id="e", job_id="j", include_pii=False,
            raw_filter={"roles": ["robot"]},
        )  # fmt: skip
    with pytest.raises(UnsupportedExportFormatError):  # xlsx has no share-safe form
        StoredExport(
            ["xlsx"], b"", b"", export_id="e", job_id="j", include_pii=False, share_safe_k=5
        )


def test_a_format_without_its_corpus_is_refused(results) -> None:
    prepared = prepare_export(["csv"], results, None, export_id="e", job_id="j", include_pii=False)
    with pytest.raises(ValueError, match="needs the corpus"):
        prepared.render("csv")
