"""How the sharded driver reads a corpus and builds its redacted copy, whatever its form.

The driver (:mod:`convoscope_analyzer.sharded`) takes conversation ranges, redacts each
in place and keeps it for the redacted corpus; it never needs the whole corpus as
Python objects. Two forms implement that access:

- :class:`DecodedShards`: a decoded :class:`Corpus` (the CLI's process pool); handed
  over, it is redacted in place (one copy of the messages in memory), as
  ``run_pipeline(in_place=True)`` does;
- :class:`EncodedShards`: a :class:`~.raw_corpus.RawCorpus` (an analyzer coordinating
  shards over the bus): a range is decoded only while it is redacted and kept as bytes.

``corpus`` is the form the shard runners cut ranges from (the original), ``finish``
gives the redacted corpus in the same form.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import msgspec

from convoscope_analyzer.raw_corpus import RawCorpus, encode_conversation
from convoscope_analyzer.stages import stage
from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus, Project

C = TypeVar("C")
_corpus_decoder = msgspec.msgpack.Decoder(Corpus)
# In place of an original conversation let go of (not valid msgpack: never read).
_FORGOTTEN = msgspec.Raw(b"")


class ShardCorpus(Protocol[C]):
    """The corpus access the sharded driver needs."""

    corpus: C  # the original
    sizes: list[int]  # messages per conversation

    def take(self, start: int, end: int) -> Corpus:
        """conversations[start:end] as a corpus without projects, for the driver to redact
        in place (a copy, unless the corpus was handed over)."""
        ...

    def keep(self, part: Corpus) -> None:
        """Add the redacted ``part`` (the next range) to the redacted corpus."""
        ...

    def projects(self) -> list[Project]:
        """The projects, for the driver to redact in place (copies unless handed over)."""
        ...

    def finish(self, projects: list[Project]) -> C:
        """The redacted corpus: every kept range, then the redacted ``projects``."""
        ...

    def release(self) -> None:
        """The original is no longer read (the analysis reads the redacted corpus)."""
        ...

    def hold(self, ranges: list[tuple[int, int]]) -> None:
        """The original will be let go of range by range (:meth:`forget`): hold it so that
        each range's memory goes with it, where that can be arranged."""
        ...

    def forget(self, start: int, end: int) -> None:
        """The original's conversations[start:end] are no longer read (they are redacted
        and the analysis reads the redacted ones): let go of them if that frees memory."""
        ...

    def analysed(self, start: int, end: int, *, redacted: bool) -> C:
        """conversations[start:end] of the corpus the analysis reads, in this form,
        without projects: the kept redacted ones (once kept), or the original's."""
        ...

    def view(self, corpus: C, start: int, end: int) -> Corpus:
        """conversations[start:end] of ``corpus`` (of this form), without projects, to
        read and not change."""
        ...

    def at(self, corpus: C, positions: list[int]) -> list[Conversation]:
        """The conversations of ``corpus`` (of this form) at ``positions``, to read."""
        ...


def _copy(conversation: Conversation) -> Conversation:
    # The in-place redaction sets fields of conversations and messages and replaces
    # nested lists as a whole: shallow copies of both keep the original intact.
    messages = [msgspec.structs.replace(m) for m in conversation.messages]
    return msgspec.structs.replace(conversation, messages=messages)


class DecodedShards:
    """A decoded corpus; ``hand_over``: redacted in place and returned as the redacted one."""

    def __init__(self, corpus: Corpus, *, hand_over: bool = False) -> None:
        self.corpus = corpus
        self.sizes = [len(c.messages) for c in corpus.conversations]
        self.hand_over = hand_over
        self._kept: list[Conversation] = []

    def take(self, start: int, end: int) -> Corpus:
        conversations = self.corpus.conversations[start:end]
        if not self.hand_over:
            conversations = [_copy(c) for c in conversations]
        return msgspec.structs.replace(self.corpus, conversations=conversations, projects=[])

    def keep(self, part: Corpus) -> None:
        if not self.hand_over:
            self._kept += part.conversations

    def projects(self) -> list[Project]:
        if self.hand_over:
            return self.corpus.projects
        return [msgspec.structs.replace(p) for p in self.corpus.projects]

    def finish(self, projects: list[Project]) -> Corpus:
        if self.hand_over:
            self.corpus.projects = projects
            return self.corpus
        kept, self._kept = self._kept, []
        return msgspec.structs.replace(self.corpus, conversations=kept, projects=projects)

    def release(self) -> None:
        """Nothing to free: the caller holds the corpus."""

    def hold(self, ranges: list[tuple[int, int]]) -> None:
        """Nothing to arrange: the caller holds the corpus."""

    def forget(self, start: int, end: int) -> None:
        """Nothing to free: the caller holds the corpus."""

    def analysed(self, start: int, end: int, *, redacted: bool) -> Corpus:
        # Handed over, the original's conversations are the redacted ones.
        source = self._kept if redacted and not self.hand_over else self.corpus.conversations
        return msgspec.structs.replace(self.corpus, conversations=source[start:end], projects=[])

    def view(self, corpus: Corpus, start: int, end: int) -> Corpus:
        conversations = corpus.conversations[start:end]
        return msgspec.structs.replace(corpus, conversations=conversations, projects=[])

    def at(self, corpus: Corpus, positions: list[int]) -> list[Conversation]:
        return [corpus.conversations[i] for i in positions]


class EncodedShards:
    """A corpus kept encoded: each range decoded while redacted, kept re-encoded."""

    def __init__(self, raw: RawCorpus) -> None:
        self.corpus = raw
        self.sizes = raw.sizes
        self._kept: list[msgspec.Raw] = []

    def take(self, start: int, end: int) -> Corpus:
        # A plain decode: the range is re-encoded as soon as it is redacted, so sharing
        # its empty lists (``load_corpus``) would save nothing and cost ~40 % more.
        with collector.paused():
            return _corpus_decoder.decode(self.corpus.encode(start, end, projects=False))

    def keep(self, part: Corpus) -> None:
        self._kept += [encode_conversation(c) for c in part.conversations]

    def projects(self) -> list[Project]:
        return [msgspec.structs.replace(p) for p in self.corpus.projects]

    def finish(self, projects: list[Project]) -> RawCorpus:
        shell = msgspec.structs.replace(self.corpus.shell, projects=projects)
        kept, self._kept = self._kept, []
        return RawCorpus(shell, kept, self.corpus.sizes)

    def release(self) -> None:
        self.corpus.let_go()  # the stored corpus's bytes are no longer needed

    def hold(self, ranges: list[tuple[int, int]]) -> None:
        # One block per range instead of views of the stored corpus (which then goes):
        # together with the redacted copy being built, about one corpus, not two, while
        # the first analyse shards run beside the replay.
        with stage("corpus_own", conversations=len(self.corpus.conversations)):
            self.corpus.own(ranges)

    def forget(self, start: int, end: int) -> None:
        # Nothing reads them again: a runner cuts a range's input before its detections
        # come back.
        self.corpus.conversations[start:end] = [_FORGOTTEN] * (end - start)

    def analysed(self, start: int, end: int, *, redacted: bool) -> RawCorpus:
        # The original's shell: the ranges are encoded without projects (the only part
        # of the shell redaction changes).
        source = self._kept if redacted else self.corpus.conversations
        return RawCorpus(self.corpus.shell, source[start:end], self.sizes[start:end])

    def view(self, corpus: RawCorpus, start: int, end: int) -> Corpus:
        return corpus.decode(start, end)

    def at(self, corpus: RawCorpus, positions: list[int]) -> list[Conversation]:
        return corpus.decode_at(positions)
