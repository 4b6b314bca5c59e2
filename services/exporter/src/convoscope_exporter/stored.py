"""An export described by the stored bytes of its results and corpus, decoded where it renders.

The exporter service reads the results and the redacted corpus as msgpack bytes and
hands them, undecoded, to the rendering processes (:mod:`convoscope_exporter.parallel`
forks them, so they inherit the bytes without a copy). Each process decodes what its
formats read — the results always, the corpus only for a format that shows
conversations (:func:`~convoscope_exporter.pipeline.needs_corpus`) — once, and lets the
bytes go. The service process itself never holds the decoded documents: its memory
stays near its own size plus the two byte strings, and a renderer's is what its formats
need.
"""

from __future__ import annotations

from datetime import UTC, datetime

from convoscope_common.corpus import Corpus, decode_corpus
from convoscope_common.options import ExportFilter
from convoscope_common.results import AnalysisResults, decode_results
from convoscope_exporter.pipeline import (
    PreparedExport,
    check_request,
    needs_corpus,
    prepare_export,
)

Bytes = bytes | bytearray


class StoredExport:
    """The formats of one export and the stored bytes they render from.

    :meth:`prepared_for` decodes and prepares on first use in the calling process and
    keeps the result for the next format rendered there; each byte string is released
    once decoded (in a forked renderer that unmaps the pages it shared with the service).
    """

    def __init__(
        self,
        formats: list[str],
        results_data: Bytes,
        corpus_data: Bytes,
        *,
        export_id: str,
        job_id: str,
        include_pii: bool,
        raw_filter: dict[str, object] | ExportFilter | None = None,
        file_hash: str = "",
        created_at: datetime | None = None,
        share_safe_k: int | None = None,
    ) -> None:
        """Checks the request at once (raises ``InvalidFilterError`` /
        ``UnsupportedExportFormatError``); decodes nothing."""
        self.filter = check_request(formats, raw_filter, share_safe_k is not None)
        # A format asked twice is rendered once (as prepare_export does).
        self.formats = list(dict.fromkeys(formats))
        self._results_data: Bytes | None = results_data
        self._corpus_data: Bytes | None = corpus_data
        self._export_id = export_id
        self._job_id = job_id
        self._include_pii = include_pii
        self._file_hash = file_hash
        # One time for every process's manifest (each builds its own).
        self._created_at = created_at or datetime.now(UTC)
        self._share_safe_k = share_safe_k
        self._results: AnalysisResults | None = None
        self._corpus: Corpus | None = None
        self._prepared: PreparedExport | None = None

    def needs_corpus(self, fmt: str) -> bool:
        """Whether ``fmt`` reads the corpus."""
        return needs_corpus(fmt, self.filter, self._share_safe_k)

    def prepared_for(self, fmt: str) -> PreparedExport:
        """The prepared export ``fmt`` renders from, decoded in this process."""
        want_corpus = self.needs_corpus(fmt)
        prepared = self._prepared
        if prepared is not None and (prepared.corpus is not None or not want_corpus):
            return prepared
        if self._results is None:
            self._results = decode_results(self._take("results"))
        if want_corpus and self._corpus is None:
            self._corpus = decode_corpus(self._take("corpus"))
        self._prepared = prepare_export(
            self.formats,
            self._results,
            self._corpus,
            export_id=self._export_id,
            job_id=self._job_id,
            include_pii=self._include_pii,
            raw_filter=self.filter,
            file_hash=self._file_hash,
            created_at=self._created_at,
            share_safe_k=self._share_safe_k,
        )
        return self._prepared

    def release(self) -> None:
        """Let go of the stored bytes (the caller is done rendering)."""
        self._results_data = self._corpus_data = None

    def _take(self, which: str) -> Bytes:
        data = self._results_data if which == "results" else self._corpus_data
        if data is None:
            raise RuntimeError(f"the stored {which} were already released")
        if which == "results":
            self._results_data = None
        else:
            self._corpus_data = None
        return data
