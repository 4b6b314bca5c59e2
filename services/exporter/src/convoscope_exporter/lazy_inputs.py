"""The stored results and corpus read a piece at a time: what keeps a renderer small.

A renderer of an unfiltered full report needs neither document whole at once:

- the corpus is decoded into its shell with one undecoded ``msgspec.Raw`` per
  conversation, which go into a file of their own (:func:`lazy_corpus`);
  ``corpus.conversations`` then reads and decodes each conversation as it is read and
  keeps none (:class:`LazyConversations`), so a table written conversation by
  conversation holds one conversation at a time, and the encoded corpus is not held;
- the results are decoded section by section (:func:`report_results`): every section
  but the per-message index, which no report, table or chart reads (only the ``json``
  document and a filter do);
- the ``json`` document is written section by section into a file
  (:func:`write_json_export`): the same bytes as encoding the whole decoded document.

The Raw pieces are views of the stored bytes, not copies. Bytes in, objects out; the
files are the caller's (a spill file for the conversations, the JSON document's file).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, overload

import msgspec

from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.manifest import ExportManifest

Bytes = bytes | bytearray | memoryview

_CONVERSATION = msgspec.msgpack.Decoder(Conversation)
# The corpus with its conversations left encoded (the other fields as Corpus has them).
_CorpusShell = msgspec.defstruct(
    "_CorpusShell",
    [
        (name, list[msgspec.Raw] if name == "conversations" else hint, msgspec.field(default=None))
        for name, hint in typing.get_type_hints(Corpus).items()
        if name in Corpus.__struct_fields__
    ],
    kw_only=True,
)
_SHELL = msgspec.msgpack.Decoder(_CorpusShell)

_SECTION_TYPES: dict[str, Any] = {
    name: hint
    for name, hint in typing.get_type_hints(AnalysisResults).items()
    if name in AnalysisResults.__struct_fields__
}
# The results with every section left encoded; an absent section is an empty Raw.
_RawResults = msgspec.defstruct(
    "_RawResults",
    [(name, msgspec.Raw, msgspec.Raw()) for name in AnalysisResults.__struct_fields__],
    kw_only=True,
)
_RAW_RESULTS = msgspec.msgpack.Decoder(_RawResults)
_DEFAULTS = AnalysisResults()
# Read only by the json document and by a filter (filtering.apply_filter).
INDEX_SECTION = "message_index"


class LazyConversations(Sequence[Conversation]):
    """A corpus's conversations, each read from its file and decoded when it is read,
    and not kept: ``spans`` are the (offset, length) of each encoded conversation."""

    def __init__(self, file: BinaryIO, spans: list[tuple[int, int]]) -> None:
        self._file = file
        self._spans = spans

    def __len__(self) -> int:
        return len(self._spans)

    @overload
    def __getitem__(self, index: int) -> Conversation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Conversation]: ...
    def __getitem__(self, index: int | slice) -> Conversation | list[Conversation]:
        if isinstance(index, slice):
            return [self._read(span) for span in self._spans[index]]
        return self._read(self._spans[index])

    def __iter__(self) -> Iterator[Conversation]:
        for span in self._spans:
            yield self._read(span)

    def _read(self, span: tuple[int, int]) -> Conversation:
        offset, length = span
        self._file.seek(offset)
        return _CONVERSATION.decode(self._file.read(length))


def lazy_corpus(data: Bytes, spill: Path) -> Corpus:
    """The corpus of ``data`` (``encode_corpus`` bytes) whose conversations are read and
    decoded one at a time (:class:`LazyConversations`) from ``spill``, a file this
    writes them into: once this returns, ``data`` need not be kept (the caller drops
    it), so the encoded corpus is not held in memory either. Only for reading: the
    result is not a corpus to encode again."""
    shell = _SHELL.decode(data)
    fields = {
        name: getattr(shell, name)
        for name in Corpus.__struct_fields__
        if name != "conversations" and getattr(shell, name) is not None
    }
    spans: list[tuple[int, int]] = []
    offset = 0
    with spill.open("wb") as out:
        raws: list[msgspec.Raw] = getattr(shell, "conversations", None) or []
        for raw in raws:
            out.write(raw)
            spans.append((offset, len(raw)))
            offset += len(raw)
    del shell
    corpus = Corpus(**fields)
    # msgspec does not check types on construction: the sequence stands in for the list.
    corpus.conversations = LazyConversations(spill.open("rb"), spans)  # type: ignore[assignment]
    return corpus


def _section(raw: msgspec.Raw, name: str) -> Any:
    if not len(raw):  # not in the stored document: the default, as a full decode gives
        return getattr(_DEFAULTS, name)
    return msgspec.msgpack.decode(raw, type=_SECTION_TYPES[name])


def report_results(data: Bytes) -> AnalysisResults:
    """The results of ``data`` (``encode_results`` bytes) without the per-message index
    (``message_index`` is empty): what every report format and table reads, decoded
    section by section."""
    with collector.paused():
        raw = _RAW_RESULTS.decode(data)
        sections = {
            name: _section(getattr(raw, name), name)
            for name in AnalysisResults.__struct_fields__
            if name != INDEX_SECTION
        }
    return AnalysisResults(**sections)


def header_results(data: Bytes) -> AnalysisResults:
    """The results of ``data`` with only the fields a manifest reads (the versions and
    the options; every other section left at its default)."""
    raw = _RAW_RESULTS.decode(data)
    return AnalysisResults(**{name: _section(getattr(raw, name), name) for name in _HEADER})


_HEADER = ("schema_version", "engine_version", "generated_at", "options")


def write_json_export(data: Bytes, manifest: ExportManifest, out: IO[bytes]) -> None:
    """Write the ``json`` export of the unfiltered results ``data`` into ``out``: the
    bytes ``msgspec.json.encode(JsonExport(manifest=..., results=decode_results(data)))``
    gives, one results section decoded and encoded at a time."""
    encode = msgspec.json.encode
    raw = _RAW_RESULTS.decode(data)
    out.write(b'{"manifest":')
    out.write(encode(manifest))
    out.write(b',"results":{')
    names = AnalysisResults.__struct_fields__
    keys = AnalysisResults.__struct_encode_fields__
    for i, (name, key) in enumerate(zip(names, keys, strict=True)):
        with collector.paused():
            section = _section(getattr(raw, name), name)
        out.write(b"," if i else b"")
        out.write(encode(key))
        out.write(b":")
        out.write(encode(section))
        del section
    out.write(b"}}")
