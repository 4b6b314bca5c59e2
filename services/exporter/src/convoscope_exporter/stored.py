"""An export rendered from the stored results and corpus, one format per process.

The exporter service streams the stored results and redacted corpus (msgpack) into
files of a private directory, with the :class:`~convoscope_exporter.pipeline.ExportRequest`
beside them, and starts one fresh process per format
(:mod:`convoscope_exporter.spawned`); each reads the files, renders its format into a
file of that directory (:meth:`StoredExport.render_into`) and says which files it wrote.
Nothing is inherited from the service: a renderer's memory is its own imports (only its
format's libraries) plus what its format reads.

What a format reads, for an unfiltered full report (:mod:`convoscope_exporter.lazy_inputs`):
the ``json`` document is written section by section from the stored results; every
other format reads the results without the per-message index and the corpus one
conversation at a time, and CSV and XLSX stream the messages table into their file. A
filtered export or a share-safe report decodes what it reads whole (a filter selects from
the whole corpus and recomputes the results).
"""

from __future__ import annotations

import gc
import shutil
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from convoscope_common.corpus import decode_corpus
from convoscope_common.results import decode_results
from convoscope_exporter.lazy_inputs import (
    header_results,
    lazy_corpus,
    report_results,
    write_json_export,
)
from convoscope_exporter.pipeline import (
    ExportRequest,
    PreparedExport,
    check_request,
    needs_corpus,
    prepare_export,
)
from convoscope_exporter.render.files import RenderedFile, rendered

RESULTS_FILE = "results.msgpack"
CORPUS_FILE = "corpus.msgpack"
REQUEST_FILE = "request.msgpack"


class OutputFile(msgspec.Struct, kw_only=True):
    """One file a renderer wrote: its name in the export, content type and path."""

    filename: str
    content_type: str
    path: str


class StoredExport:
    """The formats of one export and the directory holding what they render from.

    The directory holds :data:`RESULTS_FILE`, :data:`CORPUS_FILE` and, once
    :meth:`save_request` ran, :data:`REQUEST_FILE`.
    """

    def __init__(self, request: ExportRequest, directory: Path) -> None:
        """Checks the request at once (raises ``InvalidFilterError`` /
        ``UnsupportedExportFormatError``); reads nothing."""
        check_request(request.formats, request.filter, request.share_safe_k is not None)
        # One time for every process's manifest (each builds its own).
        if request.created_at is None:
            request = msgspec.structs.replace(request, created_at=datetime.now(UTC))
        self.request = request
        self.directory = directory
        # A format asked twice is rendered once (as prepare_export does).
        self.formats = list(dict.fromkeys(request.formats))

    @classmethod
    def write(
        cls, request: ExportRequest, directory: Path, results_data: bytes, corpus_data: bytes
    ) -> StoredExport:
        """A stored export of these bytes, written into ``directory`` (tests, benchmarks;
        the service streams the stored objects into the files instead)."""
        (directory / RESULTS_FILE).write_bytes(results_data)
        (directory / CORPUS_FILE).write_bytes(corpus_data)
        stored = cls(request, directory)
        stored.save_request()
        return stored

    @classmethod
    def open(cls, directory: Path) -> StoredExport:
        """The stored export a rendering process is given (:meth:`save_request` ran)."""
        data = (directory / REQUEST_FILE).read_bytes()
        return cls(msgspec.msgpack.decode(data, type=ExportRequest), directory)

    def save_request(self) -> None:
        """Write the request where the rendering processes read it."""
        (self.directory / REQUEST_FILE).write_bytes(msgspec.msgpack.encode(self.request))

    def needs_corpus(self, fmt: str) -> bool:
        """Whether ``fmt`` reads the corpus."""
        return needs_corpus(fmt, self.request.filter, self.request.share_safe_k)

    def render(self, fmt: str) -> list[RenderedFile]:
        """The files of ``fmt``, rendered in this process (tests; the service renders
        each format in a process of its own)."""
        out_dir = self.directory / f"in-process-{fmt}"
        try:
            return [
                RenderedFile(
                    filename=f.filename, content_type=f.content_type, data=Path(f.path).read_bytes()
                )
                for f in self.render_into(fmt, out_dir)
            ]
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)

    def render_into(self, fmt: str, out_dir: Path) -> list[OutputFile]:
        """Render ``fmt`` into files of ``out_dir`` (created); returns them."""
        out_dir.mkdir(parents=True, exist_ok=True)
        request = self.request
        if not request.filter.is_empty() or request.share_safe_k is not None:
            return _save(self._prepared_whole(fmt).render(fmt), out_dir)
        if fmt == "json":
            results = header_results(self._read(RESULTS_FILE))
            manifest = prepare_export(request, results, None).manifest
            name = rendered(request.job_id, "json", b"")
            path = out_dir / name.filename
            with path.open("wb") as out:
                write_json_export(self._read(RESULTS_FILE), manifest, out)
            return [_output(name, path)]
        # The corpus first: its bytes go once its conversations are spilled apart.
        corpus = lazy_corpus(self._read(CORPUS_FILE), out_dir / f".conversations-{fmt}")
        prepared = prepare_export(request, report_results(self._read(RESULTS_FILE)), corpus)
        # What is decoded now lives until the process ends: the collector need not
        # walk it again while the format renders.
        gc.freeze()
        return _render_streamed(prepared, fmt, out_dir)

    def _prepared_whole(self, fmt: str) -> PreparedExport:
        """The results (and the corpus, when ``fmt`` reads it) decoded whole, prepared."""
        results = decode_results(self._read(RESULTS_FILE))
        corpus = decode_corpus(self._read(CORPUS_FILE)) if self.needs_corpus(fmt) else None
        prepared = prepare_export(self.request, results, corpus)
        del results, corpus
        gc.freeze()
        return prepared

    def _read(self, name: str) -> bytes:
        return (self.directory / name).read_bytes()


def _render_streamed(prepared: PreparedExport, fmt: str, out_dir: Path) -> list[OutputFile]:
    """CSV and XLSX written straight into their file (the messages table streamed);
    the reports (a few megabytes) rendered, then saved."""
    corpus = prepared.corpus
    assert corpus is not None  # every format but json reads it
    manifest = prepared.manifest
    if fmt == "csv":
        from convoscope_exporter.render.csv_zip import write_csv_zip as write
    elif fmt == "xlsx":
        from convoscope_exporter.render.xlsx import write_xlsx as write
    else:
        return _save(prepared.render(fmt), out_dir)
    name = rendered(manifest.job_id, "zip" if fmt == "csv" else fmt, b"")
    path = out_dir / name.filename
    with path.open("wb") as out:
        write(prepared.results, corpus, manifest, out)
    return [_output(name, path)]


def _output(name: RenderedFile, path: Path) -> OutputFile:
    return OutputFile(filename=name.filename, content_type=name.content_type, path=str(path))


def _save(files: list[RenderedFile], out_dir: Path) -> list[OutputFile]:
    saved = []
    for item in files:
        path = out_dir / item.filename
        path.write_bytes(item.data)
        saved.append(_output(item, path))
    return saved
