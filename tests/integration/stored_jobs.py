"""One complete analysis job written to a real nats-server the way the workers write it.

Ingest's writes (upload, corpus, file record) and the analyzer's (results, redacted
corpus, optional light bundle, result index, job record, owner index) for a corpus run
through the real pipeline, so gateway tests read what a running stack would serve.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common import names, owner_index
from convoscope_common.cache import cache_key
from convoscope_common.clock import utcnow
from convoscope_common.corpus import Conversation, Corpus, Message, encode_corpus
from convoscope_common.light import encode_light_bundle
from convoscope_common.options import AnalysisOptions
from convoscope_common.records import FileRecord, JobState, ResultIndex
from convoscope_common.results import encode_results
from convoscope_common.storage import Stores
from convoscope_common.wire import FileMetadata
from convoscope_gateway.keyring import owner_digest
from convoscope_gateway.routes.upload import file_id_for

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def one_exchange_corpus() -> Corpus:
    """One conversation of one question and its answer (a job that runs in moments)."""
    turns = [("user", "How do I sort a list in Python?"), ("assistant", "Use sorted(items).")]
    messages = [
        Message(id=f"m{i}", role=role, text=text, created_at=T0 + timedelta(minutes=i))
        for i, (role, text) in enumerate(turns)
    ]
    return Corpus(conversations=[Conversation(id="c1", created_at=T0, messages=messages)])


async def store_complete_job(
    stores: Stores,
    corpus: Corpus,
    job_id: str,
    *,
    sha: str,
    owner: str | None = None,
    with_light_bundle: bool = False,
) -> JobState:
    """Store ``corpus`` as upload ``sha`` and ``job_id`` as its complete analysis."""
    options = AnalysisOptions(timezone="UTC")
    file_hash = f"sha256:{sha}"
    key = cache_key(file_hash, options, owner=owner)
    corpus_name = f"corpus-{sha}"
    await stores.corpora.put(corpus_name, encode_corpus(corpus))
    await stores.uploads.put(sha, b"raw bytes")
    output = run_pipeline(corpus, options, PrivacyConfig())
    await stores.results_data.put(key, encode_results(output.results))
    if with_light_bundle:
        await stores.results_data.put(names.light_object(key), encode_light_bundle(output.results))
    await stores.results_data.put(f"{key}.corpus", encode_corpus(output.redacted_corpus))
    now = utcnow()
    await stores.put_result_index(
        ResultIndex(
            cache_key=key,
            results_object=key,
            size=1,
            file_hash=file_hash,
            engine_version="test",
            created_at=now,
            last_access=now,
            redacted_corpus_object=f"{key}.corpus",
        )
    )
    file_id = f"f_{sha[:32]}"
    # Indexed as the gateway's upload route does (listings and deletes read the index).
    await owner_index.add_file(stores, file_id, owner, (sha, corpus_name))
    messages = sum(len(c.messages) for c in corpus.conversations)
    await stores.put_file(
        FileRecord(
            file_id=file_id,
            file_hash=file_hash,
            filename="conversations.json",
            upload_object=sha,
            corpus_object=corpus_name,
            metadata=FileMetadata(
                size=9, conversations=len(corpus.conversations), messages=messages
            ),
            owner=owner,
            created_at=now,
        )
    )
    state = JobState(
        job_id=job_id,
        file_id=file_id,
        cache_key=key,
        owner=owner,
        options=options,
        created_at=now,
        updated_at=now,
    )
    state.complete_from_cache(now)
    await owner_index.add_job(stores, file_id, job_id, owner)
    await stores.put_job(state)
    return state


async def store_keyed_upload(stores: Stores, key: str, sha: str, corpus_object: str) -> str:
    """The file record of an upload by API key ``key`` (no bytes: routes read the record)."""
    owner = owner_digest(key)
    now = utcnow()
    record = FileRecord(
        file_id=file_id_for(sha, owner),
        file_hash=f"sha256:{sha}",
        upload_object=sha,
        corpus_object=corpus_object,
        metadata=FileMetadata(size=10, conversations=1, messages=2),
        owner=owner,
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    await stores.put_file(record)
    return record.file_id
