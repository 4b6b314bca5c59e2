"""Where a collection's reusable analysis pieces live: one object per collection in the
``results-data`` store (``names.pieces_object``), replaced by each analysis.

Best effort both ways: pieces that cannot be read (missing, expired, unreadable, another
version) mean a run reuses nothing, and pieces that cannot be written (too large, store
full or away) mean the next run reuses nothing; neither fails a job. The object is
bounded (:func:`pieces_limit`), expires with the store's TTL (the results' retention)
and is deleted with the collection's analyses (``collection_ownership``).
"""

from __future__ import annotations

import asyncio

from convoscope_analyzer.incremental_pipeline import StoredPieces
from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.logs import get_logger
from convoscope_common.storage import ObjectMissingError, Stores

log = get_logger(__name__)


def pieces_limit(settings: Settings) -> int:
    """The largest pieces object kept: an eighth of the result cache's size."""
    return settings.cache_max_size // 8


async def load_pieces(stores: Stores, collection_id: str) -> StoredPieces | None:
    """The collection's pieces, or None (none kept, or unreadable)."""
    try:
        data = await stores.read_object(stores.results_data, names.pieces_object(collection_id))
    except ObjectMissingError:
        return None
    except Exception as exc:  # a store that does not answer: analyse from scratch
        log.warning("pieces_read_failed", error=type(exc).__name__)
        return None
    pieces = await asyncio.to_thread(decode_pieces, data)
    if pieces is None:
        log.info("pieces_unreadable")
    return pieces


async def save_pieces(
    stores: Stores, settings: Settings, collection_id: str, pieces: StoredPieces
) -> int:
    """Replace the collection's pieces; returns the bytes written (0: none kept)."""
    name = names.pieces_object(collection_id)
    data = await asyncio.to_thread(encode_pieces, pieces)
    try:
        if len(data) > pieces_limit(settings):
            log.info("pieces_too_large", size=len(data))
            await stores.delete_object(stores.results_data, name)
            return 0
        await stores.write_object(stores.results_data, name, data)
    except Exception as exc:
        log.warning("pieces_write_failed", error=type(exc).__name__)
        return 0
    return len(data)


async def delete_pieces(stores: Stores, collection_id: str) -> None:
    """Delete the collection's pieces (absent: nothing to do)."""
    await stores.delete_object(stores.results_data, names.pieces_object(collection_id))
