"""The service's path (stored files, one fresh process per format) renders exactly what
the decoded path renders, reading the stored documents a piece at a time."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from convoscope_common.corpus import encode_corpus
from convoscope_common.results import MessageRecord, decode_results, encode_results
from convoscope_exporter.errors import InvalidFilterError, UnsupportedExportFormatError
from convoscope_exporter.lazy_inputs import LazyConversations, lazy_corpus, report_results
from convoscope_exporter.pipeline import export_request, prepare_export
from convoscope_exporter.render import SUPPORTED_FORMATS, RenderedFile
from convoscope_exporter.spawned import RenderProcessError, render_in_processes
from convoscope_exporter.stored import CORPUS_FILE, OutputFile, StoredExport
from convoscope_exporter.tables import build_tables
from convoscope_exporter.tables import model as table_model
from tests.unit.cli.helpers import comparable

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ALL = list(SUPPORTED_FORMATS)


@pytest.fixture
def results(results, corpus):
    """The sample results with the per-message index the engine writes (the json
    document carries it; no other format reads it)."""
    index = [
        MessageRecord(conversation_id=c.id, message_id=m.id, role=m.role, words=len(m.text))
        for c in corpus.conversations
        for m in c.messages
    ]
    return msgspec.structs.replace(results, message_index=index)


def _request(formats, **options):
    return export_request(
        formats, export_id="e", job_id="j", include_pii=False, created_at=CREATED, **options
    )


def _stored(tmp_path: Path, results, corpus, formats, **options) -> StoredExport:
    return StoredExport.write(
        _request(formats, **options), tmp_path, encode_results(results), encode_corpus(corpus)
    )


def _expected(results, corpus, formats, **options) -> dict[str, list[RenderedFile]]:
    prepared = prepare_export(_request(formats, **options), results, corpus)
    return {fmt: prepared.render(fmt) for fmt in formats}


def _comparable(by_format: dict[str, list[RenderedFile]]) -> dict[str, list[object]]:
    # XLSX and PDF stamp the time they were written; everything else must be equal.
    return {
        fmt: [(f.filename, f.content_type, comparable(fmt, f.data)) for f in files]
        for fmt, files in by_format.items()
    }


def _in_processes(stored: StoredExport, processes: int) -> dict[str, list[RenderedFile]]:
    got: dict[str, list[RenderedFile]] = {}

    def on_files(fmt: str, files: list[OutputFile]) -> None:
        got[fmt] = [
            RenderedFile(
                filename=f.filename, content_type=f.content_type, data=Path(f.path).read_bytes()
            )
            for f in files
        ]

    render_in_processes(stored, processes, on_files)
    return got


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("raw_filter", [None, {"roles": ["user"]}])
def test_same_files_as_the_decoded_inputs(tmp_path, results, corpus, processes, raw_filter):
    stored = _stored(tmp_path, results, corpus, ALL, raw_filter=raw_filter)
    got = _in_processes(stored, processes)
    assert _comparable(got) == _comparable(_expected(results, corpus, ALL, raw_filter=raw_filter))


def test_each_format_in_process_matches(tmp_path, results, corpus) -> None:
    stored = _stored(tmp_path, results, corpus, ALL)
    got = {fmt: stored.render(fmt) for fmt in ALL}
    expected = _expected(results, corpus, ALL)
    assert got["json"] == expected["json"]  # written section by section, same bytes
    assert got["csv"] == expected["csv"]
    assert _comparable(got) == _comparable(expected)


def test_streamed_tables_in_small_batches_are_the_same(
    tmp_path, results, corpus, monkeypatch
) -> None:
    stored = _stored(tmp_path, results, corpus, ["csv", "xlsx"])
    whole = {fmt: stored.render(fmt) for fmt in ("csv", "xlsx")}
    monkeypatch.setattr(table_model, "ROW_BATCH", 2)  # many batches per table
    batched = {fmt: stored.render(fmt) for fmt in ("csv", "xlsx")}
    assert _comparable(batched) == _comparable(whole)
    rows = zipfile.ZipFile(io.BytesIO(batched["csv"][0].data)).read("messages.csv")
    assert rows.count(b"\r\n") == 1 + sum(len(c.messages) for c in corpus.conversations)


def test_share_safe_report_from_stored_files(tmp_path, results, corpus) -> None:
    stored = _stored(tmp_path, results, corpus, ["html", "pdf"], share_safe_k=3)
    got = _in_processes(stored, 2)
    expected = _expected(results, corpus, ["html", "pdf"], share_safe_k=3)
    assert _comparable(got) == _comparable(expected)


def test_the_pieces_are_read_lazily(tmp_path, results, corpus) -> None:
    lazy = lazy_corpus(encode_corpus(corpus), tmp_path / "spill")
    assert isinstance(lazy.conversations, LazyConversations)
    assert list(lazy.conversations) == corpus.conversations
    assert lazy.conversations[1] == corpus.conversations[1]
    assert lazy.conversations[:2] == corpus.conversations[:2]
    assert len(lazy.conversations) == len(corpus.conversations)
    partial = report_results(encode_results(results))
    assert results.message_index and partial.message_index == []
    # Every other section as a whole decode gives it.
    full = decode_results(encode_results(results))
    for name in type(results).__struct_fields__:
        if name != "message_index":
            assert getattr(partial, name) == getattr(full, name), name


def test_streamed_messages_table_has_the_listed_rows(results, corpus) -> None:
    listed = {t.name: t for t in build_tables(results, corpus)}
    streamed = {t.name: t for t in build_tables(results, corpus, stream=True)}
    assert streamed["messages"].rows == [] and streamed["messages"].stream is not None
    assert list(streamed["messages"].iter_rows()) == listed["messages"].rows
    assert list(streamed["messages"].iter_rows()) == listed["messages"].rows  # re-readable


def test_a_failed_renderer_is_a_typed_error(tmp_path, results, corpus) -> None:
    stored = _stored(tmp_path, results, corpus, ["csv", "json"])
    (tmp_path / CORPUS_FILE).write_bytes(b"\xc1 not msgpack")
    with pytest.raises(RenderProcessError) as caught:
        _in_processes(stored, 1)
    assert caught.value.format == "csv"
    assert caught.value.status != 0


def test_bad_requests_fail_before_anything_is_read(tmp_path) -> None:
    with pytest.raises(UnsupportedExportFormatError):
        _request(["csv", "doc"])
    with pytest.raises(InvalidFilterError):
        _request(["csv"], raw_filter={"roles": ["robot"]})
    with pytest.raises(UnsupportedExportFormatError):  # xlsx has no share-safe form
        _request(["xlsx"], share_safe_k=5)
    unchecked = msgspec.structs.replace(_request(["csv"]), formats=["doc"])
    with pytest.raises(UnsupportedExportFormatError):
        StoredExport(unchecked, tmp_path)


def test_a_format_without_its_corpus_is_refused(results) -> None:
    prepared = prepare_export(_request(["csv"]), results, None)
    with pytest.raises(ValueError, match="needs the corpus"):
        prepared.render("csv")


def test_what_a_renderer_prints_does_not_spoil_its_answer(tmp_path, results, corpus) -> None:
    stored = _stored(tmp_path, results, corpus, ["json"])
    stored.save_request()
    script = (
        "import sys; "
        "sys.argv = ['spawned', sys.argv[1], 'json']; "
        "import convoscope_exporter.spawned as s; "
        "real = s.StoredExport.render_into\n"
        "def noisy(self, fmt, out):\n"
        "    print('noise from a renderer')\n"
        "    return real(self, fmt, out)\n"
        "s.StoredExport.render_into = noisy\n"
        "sys.exit(s.main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, check=True
    )
    files = msgspec.json.decode(done.stdout, type=list[OutputFile])
    assert [f.filename for f in files] == ["convoscope-j.json"]
    assert b"noise from a renderer" in done.stderr
