"""Where a shard's input comes from: the job's stored corpus, shared in a replica.

A shard reads conversations[start:end] of the job's corpus as ingest stored it, instead
of an input the coordinating run wrote for it: that run would copy every range through
the bus once more for each stage (35 MB written and read again per stage for the 94 MB
benchmark export). Within one analyzer process:

- the run coordinating the job lends its split corpus (:meth:`CorpusShare.lend`), so
  the process's own shard slot cuts its ranges from it without reading anything;
- any other replica reads the stored corpus once and keeps it for its next shards of
  the same corpus, until none has used it for :data:`IDLE_SECONDS` (both stages are
  over) or shards of :data:`KEEP` other corpora came since: with one job at a time, a
  replica's memory holds one encoded corpus beside its shard.

An analyse shard reads the original range the same way and redoes its redaction from
the texts the coordinator's replay replaced (``shard_redaction.apply_patches``: about a
tenth of the text, written by the coordinator instead of the whole redacted range); the
coordinating process's own slot takes the redacted range its run lends
(:meth:`CorpusShare.lend_input`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_common.storage import Stores

# Seconds a read corpus is kept after its last shard (the shards of a job come within
# a second or two of each other).
IDLE_SECONDS = 2.0
# Corpora kept at once: two sharded jobs at a time (each coordinated by another replica)
# hand out their shards interleaved; keeping one would read a corpus for nearly every
# shard. One job at a time keeps one.
KEEP = 2


class CorpusShare:
    """The stored corpora this process's shards cut their ranges from."""

    def __init__(
        self, stores: Stores, idle_seconds: float = IDLE_SECONDS, keep: int = KEEP
    ) -> None:
        self.stores = stores
        self.idle_seconds = idle_seconds
        self.keep = keep
        self._lent: dict[str, RawCorpus] = {}
        # Analyse shard key -> the redacted range the coordinating run holds.
        self._inputs: dict[str, RawCorpus] = {}
        # Corpus name -> (its split, when a shard last used it), least recently used first.
        self._kept: dict[str, tuple[RawCorpus, float]] = {}
        self._drop: asyncio.TimerHandle | None = None
        self.reads = 0  # stored corpora read (tests, logs)

    @contextlib.contextmanager
    def lend(self, name: str, raw: RawCorpus) -> Iterator[None]:
        """Let this process's shards cut ranges of the stored corpus ``name`` from ``raw``
        (the coordinating run's split of it) while the block runs."""
        self._lent[name] = raw
        try:
            yield
        finally:
            if self._lent.get(name) is raw:
                del self._lent[name]

    def lend_input(self, key: str, part: RawCorpus) -> None:
        """Let this process's shard slot take ``part`` (a range's redacted conversations)
        as the input of the analyse shard ``key``, instead of redoing the redaction on
        the stored original (callable from any thread)."""
        self._inputs[key] = part

    def take_input(self, key: str) -> RawCorpus | None:
        """The range lent for shard ``key``, once; None when none is lent here."""
        return self._inputs.pop(key, None)

    def drop_input(self, key: str) -> None:
        """Shard ``key`` is done (wherever it ran): its lent input goes."""
        self._inputs.pop(key, None)

    def drop_inputs(self, job_id: str) -> None:
        """The job's run ends: the inputs it lent go."""
        for key in [k for k in self._inputs if k.startswith(f"{job_id}.")]:
            self._inputs.pop(key, None)

    @property
    def holding(self) -> bool:
        """Whether a corpus or a range is held here (lent, or kept for more shards)."""
        return bool(self._lent or self._inputs or self._kept)

    async def encoded_range(self, name: str, start: int, end: int) -> bytes:
        """conversations[start:end] of the stored corpus ``name`` as a corpus without
        projects: what a range's written input holds, byte for byte.

        Raises :class:`~convoscope_common.storage.ObjectMissingError` when the corpus is
        gone, ``ValueError`` when it holds fewer conversations (another corpus)."""
        lent = self._lent.get(name)
        if lent is not None:
            # None: the coordinator has redacted that range already and let it go (a
            # shard delivered again): read it as another replica does.
            found = lent.encode_range(start, end)
            if found is not None:
                return found
        raw = await self._load(name)
        found = raw.encode_range(start, end)
        if found is None:
            raise ValueError(f"the stored corpus has no conversations {start}..{end}")
        return found

    async def _load(self, name: str) -> RawCorpus:
        kept = self._kept.pop(name, None)
        if kept is None:
            while len(self._kept) >= self.keep:  # the least recently used goes first
                del self._kept[next(iter(self._kept))]
            data = await self.stores.read_object(self.stores.corpora, name)
            raw = await asyncio.to_thread(RawCorpus.load, data)
            del data  # the conversations are views of it
            self.reads += 1
        else:
            raw = kept[0]
        self._kept[name] = (raw, time.monotonic())  # the most recently used last
        if self._drop is None:
            self._drop = asyncio.get_running_loop().call_later(self.idle_seconds, self._idle)
        return raw

    def _idle(self) -> None:
        self._drop = None
        now = time.monotonic()
        for name, (_, used) in list(self._kept.items()):
            if now - used >= self.idle_seconds:
                del self._kept[name]
        if self._kept:  # look again when the next one would be idle
            soonest = min(used for _, used in self._kept.values())
            delay = max(0.0, soonest + self.idle_seconds - now)
            self._drop = asyncio.get_running_loop().call_later(delay, self._idle)

    def close(self) -> None:
        """Let go of the kept corpora (the replica stops)."""
        if self._drop is not None:
            self._drop.cancel()
            self._drop = None
        self._kept.clear()
