"""The collection operations of the REST API (named sets of uploads analysed as one):
rows of the one table that builds both router and OpenAPI document."""

from __future__ import annotations

from convoscope_gateway.openapi import _GUARDED, Operation, _json, _path_param
from convoscope_gateway.routes import collections

_COLLECTION_ID = _path_param("collection_id", "The id returned by POST /api/collections.")
_FILE_ID = _path_param("file_id", "The id of an upload in the collection.")


def collection_operations() -> tuple[Operation, ...]:
    """Create, list, read, delete collections, change their uploads, analyse them."""
    return (
        Operation(
            "post",
            "/api/collections",
            "createCollection",
            "Create a named collection of the caller's uploads (claude.ai and ChatGPT "
            "exports in any mix).",
            "collections",
            {201: ("Created.", _json("CollectionInfo"))},
            (400, 404, 409, 413, 415, 422, *_GUARDED),
            request_body={"required": True, "content": _json("CollectionCreate")},
            handler=collections.post_collection,
        ),
        Operation(
            "get",
            "/api/collections",
            "listCollections",
            "The caller's collections, newest first.",
            "collections",
            {200: ("The collections.", _json("CollectionList"))},
            _GUARDED,
            handler=collections.list_collections,
        ),
        Operation(
            "get",
            "/api/collections/{collection_id}",
            "getCollection",
            "A collection, its uploads and how many analyses were made of it.",
            "collections",
            {200: ("The collection.", _json("CollectionInfo"))},
            (404, *_GUARDED),
            parameters=(_COLLECTION_ID,),
            handler=collections.get_collection,
        ),
        Operation(
            "delete",
            "/api/collections/{collection_id}",
            "deleteCollection",
            "Delete a collection with its analyses, results and exports; its uploads stay.",
            "collections",
            {200: ("Deleted.", _json("CollectionDeleted"))},
            (404, 503, *_GUARDED),
            parameters=(_COLLECTION_ID,),
            handler=collections.delete_collection,
        ),
        Operation(
            "post",
            "/api/collections/{collection_id}/uploads",
            "addCollectionUploads",
            "Add uploads to a collection.",
            "collections",
            {200: ("The collection.", _json("CollectionInfo"))},
            (400, 404, 413, 415, 422, *_GUARDED),
            parameters=(_COLLECTION_ID,),
            request_body={"required": True, "content": _json("CollectionUploads")},
            handler=collections.add_uploads,
        ),
        Operation(
            "delete",
            "/api/collections/{collection_id}/uploads/{file_id}",
            "removeCollectionUpload",
            "Take an upload out of a collection (the upload stays); the collection's "
            "earlier analyses, made with its conversations, are deleted.",
            "collections",
            {200: ("The collection.", _json("CollectionInfo"))},
            (404, 503, *_GUARDED),
            parameters=(_COLLECTION_ID, _FILE_ID),
            handler=collections.remove_upload,
        ),
        Operation(
            "post",
            "/api/collections/{collection_id}/analysis",
            "startCollectionAnalysis",
            "Merge the collection's uploads (each conversation once, its newest version) "
            "and start an analysis job over them, followed like any other job.",
            "collections",
            {
                201: ("Complete at once from the result cache.", _json("AnalysisAccepted")),
                202: ("Queued; follow it over Socket.IO or by polling.", _json("AnalysisAccepted")),
            },
            (400, 404, 410, 413, 415, 422, 503, 507, *_GUARDED),
            parameters=(_COLLECTION_ID,),
            request_body={"required": True, "content": _json("CollectionAnalysisRequest")},
            handler=collections.post_collection_analysis,
        ),
    )
