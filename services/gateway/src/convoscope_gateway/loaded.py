"""Loading an analysis for browsing: results + corpus, decoded once, kept for a while.

Pages of one analysis arrive in bursts (a dashboard, then a list, then a
conversation), and decoding the results and the corpus of a large export takes
a second or more, so the last few loaded analyses stay in memory. Cached results
never change under their key; a deleted or evicted result is noticed on the next
request (its index entry is read once per request) and dropped here too. A read
records the use for the cache's LRU eviction without a KV write per request
(:func:`convoscope_common.cache.record_use`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

from aiohttp import web

from convoscope_common import names
from convoscope_common.cache import read_results, record_use
from convoscope_common.clock import utcnow
from convoscope_common.corpus import decode_corpus
from convoscope_common.light import (
    LightResults,
    ResultPage,
    decode_light_bundle,
    light_results,
    page_totals,
)
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter
from convoscope_common.records import JobState, ResultIndex
from convoscope_common.storage import ObjectMissingError
from convoscope_gateway.browse_index import BrowseIndex, build_index
from convoscope_gateway.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    ValidationError,
)
from convoscope_gateway.state import Gateway
from convoscope_gateway.urls import result_pages

log = get_logger(__name__)

LOADS = Counter("convoscope_browse_loads_total", "Analyses loaded for browsing", ["result"])
MAX_LOADED = 1  # a large export decodes to several times its size: keep one


@dataclass
class LoadedAnalyses:
    """A small LRU of browse indexes by (cache key, results object and its time, include_pii)."""

    entries: OrderedDict[tuple[str, str, bool], BrowseIndex] = field(default_factory=OrderedDict)
    locks: dict[tuple[str, str, bool], asyncio.Lock] = field(default_factory=dict)

    def get(self, key: tuple[str, str, bool]) -> BrowseIndex | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, bool], index: BrowseIndex) -> None:
        # Entries of the same analysis under an older results object are stale.
        for old in [k for k in self.entries if k[0] == key[0] and k != key]:
            del self.entries[old]
        self.entries[key] = index
        while len(self.entries) > MAX_LOADED:
            self.entries.popitem(last=False)


LOADED = web.AppKey("loaded_analyses", LoadedAnalyses)
MAX_LIGHT = 32


@dataclass
class LightDocuments:
    """Light documents and their page totals by (cache key, results object): small, so a
    few dozen are kept."""

    entries: OrderedDict[tuple[str, str], tuple[LightResults, dict[str, int]]] = field(
        default_factory=OrderedDict
    )


LIGHT = web.AppKey("light_documents", LightDocuments)
GONE = "the results of this job are no longer cached; run the analysis again"


async def _cache_entry(gw: Gateway, state: JobState) -> ResultIndex:
    """The job's result cache entry: the request's one lookup, its use recorded (throttled)."""
    entry = await gw.stores.result_index_entry(state.cache_key)
    if entry is None:
        raise NotFoundError(GONE)
    index, revision = entry
    await record_use(gw.stores, index, revision, utcnow())
    return index


async def light_document(
    request: web.Request, gw: Gateway, state: JobState
) -> tuple[LightResults, dict[str, ResultPage]]:
    """The light results document of a complete job and its pages (decoded once)."""
    index = await _cache_entry(gw, state)
    docs = request.app[LIGHT].entries
    # created_at tells a re-run apart from the result it replaced under the same names.
    key = (state.cache_key, f"{index.results_object}@{index.created_at.isoformat()}")
    found = docs.get(key)
    if found is not None:
        docs.move_to_end(key)
        light, totals = found
    else:
        light, totals = await _load_light(gw, index)
        for old in [k for k in docs if k[0] == key[0]]:
            del docs[old]
        docs[key] = (light, totals)
        while len(docs) > MAX_LIGHT:
            docs.popitem(last=False)
    return light, result_pages(state.job_id, totals)


async def _load_light(gw: Gateway, index: ResultIndex) -> tuple[LightResults, dict[str, int]]:
    """The light document the analyzer stored beside the results; results stored before
    there was one are decoded whole (seconds for a large export) and made light here."""
    try:
        data = await gw.stores.read_object(
            gw.stores.results_data, names.light_object(index.results_object)
        )
    except ObjectMissingError:
        data = None
    if data is not None:
        bundle = decode_light_bundle(data)
        return bundle.results, bundle.totals
    full = await read_results(gw.stores, index)
    if full is None:
        raise NotFoundError(GONE)
    return light_results(full), page_totals(full)


def wants_pii(request: web.Request, gw: Gateway) -> bool:
    """``include_pii`` from the query string, allowed only where exports may include it."""
    raw = request.query.get("include_pii", "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ValidationError("include_pii must be true or false")
    wanted = raw in ("true", "1")
    if wanted and not gw.settings.allow_include_pii:
        raise ForbiddenError(
            "personal data (include_pii) is disabled on this server; the operator can "
            "allow it with CONVOSCOPE_ALLOW_INCLUDE_PII=true"
        )
    return wanted


async def load_index(
    request: web.Request, gw: Gateway, state: JobState, include_pii: bool
) -> BrowseIndex:
    """The browse index of a complete job (409 while it runs, 404/410 once data expired)."""
    if state.status != "complete":
        raise ConflictError(f"the analysis is {state.status}; browse it once it is complete")
    result_index = await _cache_entry(gw, state)
    loaded = request.app[LOADED]
    stamp = f"{result_index.results_object}@{result_index.created_at.isoformat()}"
    key = (state.cache_key, stamp, include_pii)
    found = loaded.get(key)
    if found is not None:
        LOADS.labels(result="hit").inc()
        return found
    lock = loaded.locks.setdefault(key, asyncio.Lock())
    async with lock:  # one decode per analysis, however many pages ask at once
        found = loaded.get(key)
        if found is not None:
            return found
        results = await read_results(gw.stores, result_index)
        if results is None:
            raise NotFoundError(GONE)
        if include_pii:
            record = await gw.stores.get_file(state.file_id)
            store, name = gw.stores.corpora, record.corpus_object if record else ""
        else:
            store, name = gw.stores.results_data, result_index.redacted_corpus_object
        try:
            if not name:
                raise ObjectMissingError(name)
            corpus = decode_corpus(await gw.stores.read_object(store, name))
        except ObjectMissingError:
            raise GoneError(
                "the conversations behind this analysis have expired; upload the file again"
            ) from None
        index = await asyncio.to_thread(build_index, results, corpus)
        loaded.put(key, index)
        loaded.locks.pop(key, None)
        LOADS.labels(result="miss").inc()
        log.info("analysis_loaded", job_id=state.job_id, conversations=len(index.conversations))
        return index
