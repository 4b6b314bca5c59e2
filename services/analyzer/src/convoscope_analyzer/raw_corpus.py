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

from collections.abc import Sequence

import msgspec

from convoscope_analyzer.corpus_loading import corpus_shell_type, load_corpus
from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus, Project

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
        return cls(shell, conversations, sizes)

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
