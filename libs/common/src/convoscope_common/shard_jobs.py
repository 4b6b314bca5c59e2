"""Shards of one large analysis on the bus: the task message and where its pieces live.

A job of many messages is split into conversation ranges; each range is a
:class:`ShardTask` on ``convoscope.jobs.shard`` that any analyzer replica may take. A
shard has its own fenced record in the ``shards`` bucket (a :class:`JobState` under
:func:`shard_key`, claimed and written through ``lease.py`` like a job), and its output
is one object in ``results-data`` under :func:`shard_object`: a shard run again after a
crash overwrites the same object, so the merge reads each shard exactly once.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from convoscope_common.options import AnalysisOptions

ShardStage = Literal["detect", "analyze"]


class ShardTask(msgspec.Struct, kw_only=True, frozen=True):
    """One range of one job's corpus, for one stage."""

    job_id: str
    stage: ShardStage
    index: int
    start: int  # first conversation
    end: int  # after the last
    # The range's conversations as the coordinator wrote them (``results-data``); with
    # ``whole_corpus``, the job's stored corpus (``corpora``) the shard cuts them from.
    corpus_object: str
    # analyze: the language of conversations with no readable text (the corpus's, from
    # the plan's sample); the learned topics are read by the coordinator afterwards.
    fallback: str = ""
    owner: str | None = None
    options: AnalysisOptions = msgspec.field(default_factory=AnalysisOptions)
    # No input of its own was written: conversations[start:end] of the job's stored
    # corpus are its input (the replica reads that corpus once for its shards).
    whole_corpus: bool = False
    # analyze, with ``whole_corpus``: the texts the coordinator's redaction replaced in
    # the range (``results-data``; "": none), to redact the original range again.
    patch_object: str = ""


shard_task_decoder = msgspec.msgpack.Decoder(ShardTask)


def shard_key(job_id: str, stage: str, index: int) -> str:
    """The shard's record in the ``shards`` bucket."""
    return f"{job_id}.{stage}.{index}"


def shard_object(job_id: str, stage: str, index: int) -> str:
    """The shard's output in ``results-data``."""
    return f"shards/{job_id}/{stage}/{index}"


def job_object(job_id: str, name: str) -> str:
    """An object the coordinating run writes for its shards (a range's input)."""
    return f"shards/{job_id}/{name}"
