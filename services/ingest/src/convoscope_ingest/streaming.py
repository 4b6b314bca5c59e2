"""The streaming parse: an upload read in chunks becomes the stored corpus bytes.

Same answers as :func:`convoscope_ingest.parsing.parse_export` + ``encode_corpus``, in
bounded memory: the JSON array is split into conversations as the chunks arrive
(:mod:`convoscope_ingest.jsonsplit`), each conversation is decoded, normalised and
encoded at once (:mod:`convoscope_ingest.corpus_writer`), and ZIP members are inflated
in chunks straight into the splitter. Only the compressed bytes of a ZIP are held
whole (an archive is read from its end).

Whatever is not the plain, well-formed case — a binary or UTF-16 file, a top level
that is not an array (the legacy wrapper, one conversation object), malformed JSON,
invalid UTF-8, a nesting deeper than allowed, any ZIP error, no readable vendor —
raises :class:`Fallback`: the caller then runs ``parse_export`` on the whole upload,
which gives the exact error, with its line and column, or the corpus for the rarer
shapes. Pure: no I/O, no bus.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from convoscope_common import collector
from convoscope_common.corpus import Project, Source
from convoscope_ingest.corpus_writer import CorpusWriter, StreamedCorpus
from convoscope_ingest.documents import item_source
from convoscope_ingest.errors import IngestError
from convoscope_ingest.health import HealthRecorder
from convoscope_ingest.jsonguard import UTF8_BOM, json_depth_exceeds, refuse_binary, strip_bom
from convoscope_ingest.jsonsplit import ArraySplitter, NotStreamable
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.parsing import check_size, normalise_item
from convoscope_ingest.projects import read_projects
from convoscope_ingest.zipstream import ZIP_MAGIC, ZipPlan, inflate_chunks, plan_export_zip

# How many leading items may be looked at to find out the vendor (documents.py).
_SNIFF_ITEMS = 50
# Enough of the start to sniff: a BOM plus the 8 KiB that refuse_binary looks at.
_HEAD = len(UTF8_BOM) + 8192


class Fallback(Exception):
    """Not the plain case: parse the whole upload with ``parse_export`` instead."""


class _Document:
    """One conversations document (the upload, or one ZIP member) as it streams."""

    def __init__(
        self,
        writer: CorpusWriter,
        health: HealthRecorder,
        project_names: Mapping[str, str],
        max_depth: int,
    ) -> None:
        self.writer = writer
        self.health = health
        self.project_names = project_names
        self.max_depth = max_depth
        self.splitter = ArraySplitter()
        self.source: Source | None = None
        self._pending: list[bytes] = []
        self._index = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Add bytes; normalise the conversations they complete."""
        try:
            items = self.splitter.feed(chunk)
        except NotStreamable:
            raise Fallback() from None
        self._take(items)

    def finish(self) -> int:
        """End of the document: the number of items it held (0 for ``[]``)."""
        try:
            items = self.splitter.finish()
        except NotStreamable:
            raise Fallback() from None
        self._take(items)
        if self.source is None and self.splitter.count:
            raise Fallback()  # no item of a known vendor: parse_export says which error
        return self.splitter.count

    def _take(self, items: list[bytes]) -> None:
        for item in items:
            # The array is level 1; an element may nest max_depth - 1 levels.
            if json_depth_exceeds(item, self.max_depth - 1):
                raise Fallback()
            if self.source is None:
                self._pending.append(item)
                source = item_source(msgspec.Raw(item))
                if source is None:
                    if len(self._pending) >= _SNIFF_ITEMS:
                        raise Fallback()
                    continue
                self.source = source
                pending, self._pending = self._pending, []
                for waiting in pending:
                    self._normalise(waiting)
            else:
                self._normalise(item)

    def _normalise(self, item: bytes) -> None:
        label = f"conversations[{self._index}]"
        self._index += 1
        assert self.source is not None
        try:
            conversation = normalise_item(
                self.source, msgspec.Raw(item), label, self.health, self.project_names
            )
        except (UnicodeDecodeError, msgspec.DecodeError):
            raise Fallback() from None  # invalid UTF-8: the position needs the whole file
        if conversation is not None:
            self.writer.add(conversation)


class StreamParser:
    """Feed the upload with :meth:`feed`, then :meth:`finish` for the stored corpus.

    Every method may raise :class:`Fallback`; an :class:`IngestError` raised here is
    the same one ``parse_export`` raises for the same bytes.
    """

    def __init__(self, size: int, limits: ParseLimits) -> None:
        check_size(size, limits)
        self.size = size
        self.limits = limits
        self.health = HealthRecorder()
        self.writer = CorpusWriter()
        self._head = bytearray()
        self._zip: bytearray | None = None
        self._document: _Document | None = None
        self._received = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Take the next bytes of the upload."""
        self._received += len(chunk)
        if self._zip is not None:
            self._zip += chunk
            return
        if self._document is not None:
            with collector.paused():
                self._document.feed(chunk)
            return
        self._head += chunk
        if len(self._head) >= _HEAD:
            self._start()

    def finish(self) -> StreamedCorpus:
        """The stored corpus (as parts) and the file metadata."""
        if self._received != self.size:
            raise Fallback()
        if self._document is None and self._zip is None:
            self._start()
        with collector.paused():
            try:
                if self._zip is not None:
                    return self._finish_zip(self._zip)
                assert self._document is not None
                self._document.finish()
                source = self._document.source
                if source is None:
                    raise Fallback()  # an empty array: parse_export's error
                return self.writer.finish(source, f"{source}_json", [], self.health, self.size)
            except (IngestError, NotStreamable):
                raise Fallback() from None

    def _start(self) -> None:
        head, self._head = self._head, bytearray()
        if head.startswith(ZIP_MAGIC):
            self._zip = bytearray(head)
            return
        try:
            refuse_binary(strip_bom(head))
        except IngestError:
            raise Fallback() from None
        body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
        self._document = _Document(
            self.writer, self.health, {}, max_depth=self.limits.max_json_depth
        )
        self.health.file_read("(uploaded file)")
        with collector.paused():
            self._document.feed(body)

    def _finish_zip(self, data: bytearray) -> StreamedCorpus:
        plan = plan_export_zip(data, self.limits)
        try:
            return self._read_zip(plan)
        finally:
            plan.close()

    def _read_zip(self, plan: ZipPlan) -> StreamedCorpus:
        health, limits = self.health, self.limits
        if not plan.conversation_members:
            raise Fallback()
        projects: list[Project] = []
        for name, content in plan.project_files:
            health.file_read(name)
            projects.extend(read_projects(name, content, limits.max_json_depth, health))
        for name in plan.noted_files:
            health.file_read(f"{name} (noted, not stored)")
        project_names = {p.id: p.name or p.id for p in projects}
        empty: list[str] = []
        read: list[str] = []
        source: Source | None = None
        for member in plan.conversation_members:
            document = _Document(self.writer, health, project_names, limits.max_json_depth)
            started = False
            for chunk in inflate_chunks(plan, member):
                if not started:
                    # parse_export strips a BOM from each member (documents.read_document).
                    chunk = chunk[len(UTF8_BOM) :] if chunk.startswith(UTF8_BOM) else chunk
                    started = True
                document.feed(chunk)
            if document.finish() == 0:
                empty.append(member.name)
                continue
            if source is not None and document.source != source:
                raise Fallback()  # mixed vendors: parse_export names the error
            source = document.source
            read.append(member.name)
        plan.check_budget_in_archive_order()
        if source is None:
            raise Fallback()
        # parse_export lists the empty members first, then the ones it read.
        for name in empty:
            health.file_read(f"{name} (empty)")
        for name in read:
            health.file_read(name)
        return self.writer.finish(source, f"{source}_zip", projects, health, self.size)
