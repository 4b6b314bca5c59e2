"""Collections: a named set of uploads analysed as one corpus (bus messages, KV record
and the public API's bodies).

A collection is owned by one key. Analysing it asks ingest to merge the members'
corpora (``convoscope.ingest.merge``); the merged corpus is stored like an upload's
and gets its own upload record (``FileRecord.collection_id`` set), so the analysis
is an ordinary job over that record: same states, events, results, exports and pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from convoscope_common.options import AnalysisOptions
from convoscope_common.wire import MESSAGES_VERSION, FileMetadata, ParseFailed

MAX_COLLECTION_MEMBERS = 100
# Collections one owner may hold at once (each is a small KV record; they expire).
MAX_COLLECTIONS_PER_OWNER = 100
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_FileId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


# --- bus: gateway -> ingest ---------------------------------------------------------


class MergeMember(msgspec.Struct, kw_only=True):
    """One upload of a collection, in upload order."""

    file_id: str
    file_hash: str
    corpus_object: str


class MergeRequest(msgspec.Struct, kw_only=True):
    """Gateway -> ingest (request/reply on ``convoscope.ingest.merge``)."""

    v: int = MESSAGES_VERSION
    collection_id: str
    members: list[MergeMember]


class MergeOk(msgspec.Struct, tag="ok", tag_field="kind", kw_only=True):
    """The merged corpus is stored under ``corpus_object``; ``file_hash`` names its content."""

    v: int = MESSAGES_VERSION
    corpus_object: str
    file_hash: str
    metadata: FileMetadata


MergeReply = MergeOk | ParseFailed
merge_request_decoder = msgspec.msgpack.Decoder(MergeRequest)
merge_reply_decoder = msgspec.msgpack.Decoder(MergeReply)


# --- KV record ------------------------------------------------------------------------


class CollectionRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the ``collections`` bucket holds (key: collection id)."""

    v: int = MESSAGES_VERSION
    collection_id: str
    name: str
    owner: str | None = None
    # Members in the order they were added; the merge orders them by upload time.
    file_ids: list[str] = []
    # The upload records of the merged corpora analysed so far (one per member set):
    # deleted with the collection, or when a member upload is deleted.
    merged_file_ids: list[str] = []
    created_at: datetime
    updated_at: datetime


collection_record_decoder = msgspec.msgpack.Decoder(CollectionRecord)


# --- public API -------------------------------------------------------------------------


class CollectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/collections``."""

    name: _Name
    file_ids: Annotated[list[_FileId], msgspec.Meta(max_length=MAX_COLLECTION_MEMBERS)] = []


class CollectionUploads(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/collections/{collection_id}/uploads``: uploads to add."""

    file_ids: Annotated[list[_FileId], msgspec.Meta(min_length=1, max_length=100)]


class CollectionAnalysisRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/collections/{collection_id}/analysis`` (may be empty: ``{}``)."""

    options: AnalysisOptions = msgspec.field(default_factory=AnalysisOptions)


class CollectionMember(msgspec.Struct, kw_only=True):
    """One upload of a collection, as listed to its owner."""

    file_id: str
    filename: str = ""
    source: str = ""
    conversations: int = 0
    messages: int = 0
    created_at: datetime | None = None


class CollectionInfo(msgspec.Struct, kw_only=True):
    """A collection: its members and how many analyses were made of it."""

    collection_id: str
    name: str
    uploads: list[CollectionMember] = []
    analyses: int = 0
    # The merged corpus of the latest analysis: counts and the parse-health report,
    # which says how many duplicate conversations were merged (None before any).
    merged: FileMetadata | None = None
    created_at: datetime
    updated_at: datetime


class CollectionList(msgspec.Struct, kw_only=True):
    """Answer of ``GET /api/collections``: the caller's collections, newest first."""

    collections: list[CollectionInfo] = []


class CollectionDeleted(msgspec.Struct, kw_only=True):
    """Answer of ``DELETE /api/collections/{collection_id}`` (member uploads stay)."""

    collection_id: str
    status: Literal["deleted"] = "deleted"
    jobs_deleted: int = 0
    results_deleted: int = 0
    exports_deleted: int = 0
    bytes_deleted: int = 0
