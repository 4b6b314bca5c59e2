"""A stored corpus kept encoded, conversation by conversation: what a shard coordinator needs.

The run that coordinates a sharded job never needs the whole corpus as Python objects:
it cuts the stored msgpack into conversation ranges for the shards, redacts one range
at a time, decodes only the plan's sample and writes the redacted corpus back. Here the
corpus is decoded into a shell whose conversations stay :class:`msgspec.Raw` (views of
the stored bytes, no copy) and their message counts; a slice or the whole corpus is
encoded back by copying those bytes. Every encoding equals
:func:`convoscope_common.corpus.encode_corpus` of the decoded corpus, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import msgspec

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.memory import PieceStream, release_pages
from convoscope_analyzer.msgpack_headers import array_header
from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus, Project, corpus_shell_type

_Shell = corpus_shell_type("RawCorpusShell")
_shell_decoder = msgspec.msgpack.Decoder(_Shell)
_encoder = msgspec.msgpack.Encoder()


class _Count(msgspec.Struct):
    """A conversation's messages, each left encoded (only their number is read)."""

    messages: list[msgspec.Raw] = []


_count_decoder = msgspec.msgpack.Decoder(_Count)
_conversation_decoder = msgspec.msgpack.Decoder(Conversation)


class RawCorpus:
    """A corpus whose conversations stay encoded (see the module docstring).

    ``conversations[i]`` is conversation ``i`` as msgpack and ``sizes[i]`` its number of
    messages; the other fields of the corpus are decoded in ``shell``.
    """

    def __init__(self, shell: msgspec.Struct, conversations: list[msgspec.Raw], sizes: list[int]):
        self.shell = shell
        self.conversations = conversations
        self.sizes = sizes
        # The buffer the conversations are views of, and where the first one starts in
        # it, when that is known for certain (``load``): ``own`` releases its pages.
        self._source: bytearray | None = None
        self._first = 0

    @classmethod
    def load(cls, data: bytes | bytearray) -> RawCorpus:
        """Split what :func:`~convoscope_common.corpus.encode_corpus` wrote.

        Raises ``msgspec.DecodeError`` / ``msgspec.ValidationError`` on a bad corpus.
        """
        with collector.paused():
            shell = _shell_decoder.decode(data)
            conversations: list[msgspec.Raw] = shell.conversations  # type: ignore[attr-defined]
            sizes = [len(_count_decoder.decode(raw).messages) for raw in conversations]
        shell.conversations = []  # type: ignore[attr-defined]
        corpus = cls(shell, conversations, sizes)
        if isinstance(data, bytearray) and conversations:
            # The conversations lie one after the other from the end of what ``encode``
            # writes before them. Where ``data`` starts with exactly those bytes, the
            # decoder read the same prefix, so the first one starts there: certain.
            head, _ = _frame(shell, len(conversations))
            first = conversations[0]
            end = len(head) + len(first)
            if data[: len(head)] == head and memoryview(data)[len(head) : end] == memoryview(first):
                corpus._source, corpus._first = data, len(head)
        return corpus

    def own(self, bounds: Sequence[tuple[int, int]]) -> None:
        """Copy the conversations out of the bytes they were split from into one block
        per range of ``bounds`` (contiguous, covering them all): those bytes can go, and
        each range's block goes once nothing holds its conversations (a block of a few
        megabytes is mapped on its own and unmapped when freed, ``memory.py``; one copy
        per conversation would leave holes in the heap instead).

        The pages of the buffer ``load`` split are released as each range is copied
        (:func:`~convoscope_analyzer.memory.release_pages`): one range, not a second
        corpus, is held beside it (after other jobs, that second corpus was a replica's
        peak). Nothing may read the old views meanwhile (no shard is dispatched yet).
        """
        owned: list[msgspec.Raw] = []
        source, released = self._source, self._first
        self._source = None
        at = self._first  # where the next range starts in ``source``
        for start, end in bounds:
            part = self.conversations[start:end]
            view = memoryview(b"".join(part))
            offset = 0
            for raw in part:
                owned.append(msgspec.Raw(view[offset : offset + len(raw)]))
                offset += len(raw)
            at += offset
            if source is not None and start == len(owned) - len(part):
                del part  # views of the pages being released
                released = release_pages(source, released, at)
            else:  # not contiguous from the first: release nothing more
                source = None
        assert len(owned) == len(self.conversations), "the ranges must cover the corpus"
        self.conversations = owned

    def let_go(self) -> None:
        """Let go of every conversation, and of the buffer ``load`` split them from (it
        goes once nothing else holds it)."""
        self.conversations = []
        self._source = None

    @property
    def messages(self) -> int:
        """Messages in the whole corpus."""
        return sum(self.sizes)

    @property
    def projects(self) -> list[Project]:
        """The corpus's projects (decoded)."""
        projects: list[Project] = self.shell.projects  # type: ignore[attr-defined]
        return projects

    def encode(self, start: int = 0, end: int | None = None, *, projects: bool = True) -> bytes:
        """The corpus of ``conversations[start:end]`` as ``encode_corpus`` writes it
        (without the projects when ``projects`` is False, as shard inputs are)."""
        part = msgspec.structs.replace(
            self.shell,
            conversations=self.conversations[start:end],
            **({} if projects else {"projects": []}),
        )
        return _encoder.encode(part)

    def encode_range(self, start: int, end: int) -> bytes | None:
        """``encode(start, end, projects=False)`` (a shard's input), or None when some of
        those conversations were let go of (``forget``, ``release``): read once, so a
        thread letting them go meanwhile leaves the answer whole or None."""
        part = self.conversations[start:end]
        if len(part) != end - start or any(len(raw) == 0 for raw in part):
            return None
        return _encoder.encode(msgspec.structs.replace(self.shell, conversations=part, projects=[]))

    def decode(self, start: int = 0, end: int | None = None) -> Corpus:
        """``conversations[start:end]`` decoded, as a corpus without projects (compact, as
        :func:`~convoscope_analyzer.corpus_loading.load_corpus` loads it)."""
        return load_corpus(self.encode(start, end, projects=False))

    def decode_at(self, positions: Sequence[int]) -> list[Conversation]:
        """The conversations at ``positions``, decoded."""
        with collector.paused():
            return [_conversation_decoder.decode(self.conversations[i]) for i in positions]


def encode_conversation(conversation: Conversation) -> msgspec.Raw:
    """One conversation as the corpus encoding holds it."""
    return msgspec.Raw(_encoder.encode(conversation))


class EncodedCorpus:
    """``corpus.encode()`` as a binary stream: the same bytes, read piece by piece, so
    that storing a corpus never joins its conversations into one more copy.

    The corpus's conversations are read (never changed) while the stream is read; it
    lets go of each once read (and of all at :meth:`close`), so a corpus nothing else
    holds is freed as it is stored. ``size`` is the length of the whole encoding.
    """

    def __init__(self, corpus: RawCorpus) -> None:
        pieces: list[bytes | msgspec.Raw] = []
        if corpus.conversations:
            head, tail = _frame(corpus.shell, len(corpus.conversations))
            pieces.append(head)
            pieces.extend(corpus.conversations)
            pieces.append(tail)
        else:  # no conversations: the field is left out, nothing to stream
            pieces.append(corpus.encode())
        self._pieces = pieces
        self._index = 0
        self._offset = 0
        self.size = sum(len(p) for p in pieces)

    def __len__(self) -> int:
        return self.size

    def close(self) -> None:
        """Let go of the corpus's conversations (nothing more is read)."""
        self._pieces = []
        self._index = self._offset = 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` more bytes (all that are left when ``n`` < 0); ``b""`` at the end."""
        wanted = self.size if n < 0 else n
        out: list[bytes] = []
        while wanted > 0 and self._index < len(self._pieces):
            view = memoryview(self._pieces[self._index])[self._offset :]
            part = view[:wanted]
            out.append(bytes(part))
            wanted -= len(part)
            if len(part) == len(view):
                self._pieces[self._index] = b""  # read: the stream lets go of it
                self._index += 1
                self._offset = 0
            else:
                self._offset += len(part)
        return b"".join(out)


class StreamedCorpus(PieceStream):
    """``encode_corpus(corpus)`` of a decoded corpus as a binary stream: each
    conversation is encoded when the reader reaches it and let go of once read, so
    storing a one-process job's redacted corpus never holds its whole encoding (35 MB on
    the 94 MB benchmark export, the job's peak memory when it was encoded at once) and
    frees the conversations as they are stored. The corpus is handed over (emptied).
    ``size`` counts the bytes read so far (all of them once ``read`` returned ``b""``).
    """

    def __init__(self, corpus: Corpus) -> None:
        self._conversations: list[Conversation | None] = list(corpus.conversations)
        corpus.conversations = []
        super().__init__(self._encoded(corpus))

    def _encoded(self, corpus: Corpus) -> Iterator[bytes]:
        conversations = self._conversations
        if not conversations:  # the field is left out: nothing around it
            yield _encoder.encode(corpus)
            return
        head, tail = _frame(corpus, len(conversations))
        yield head
        for i, conversation in enumerate(conversations):
            conversations[i] = None  # read: let go of it
            yield _encoder.encode(conversation)
        yield tail


def _frame(shell: msgspec.Struct, count: int) -> tuple[bytes, bytes]:
    """What ``encode`` writes before (up to the conversations' array header included)
    and after the ``count`` conversations of a corpus (or shell) with these fields."""
    marker = _CONVERSATIONS_KEY + b"\x91\xc0"
    # The shell with one stand-in conversation (nil), cut around its array: what comes
    # before and after the conversations is then exactly what ``encode`` writes there.
    stand_in = _encoder.encode(msgspec.structs.replace(shell, conversations=[msgspec.Raw(b"\xc0")]))
    at = stand_in.index(marker) + len(_CONVERSATIONS_KEY)
    return stand_in[:at] + array_header(count), stand_in[at + 2 :]


_CONVERSATIONS_KEY = _encoder.encode("conversations")
