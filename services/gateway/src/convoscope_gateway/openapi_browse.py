"""OpenAPI entries of the browsing routes (paged results, my uploads and analyses) and of
the web app's page and assets; :mod:`convoscope_gateway.openapi` joins them to the rest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from aiohttp.typedefs import Handler

from convoscope_common.results import FailureType, SentimentLabel, Severity, TaskCompletion
from convoscope_gateway import web as webapp
from convoscope_gateway.openapi import (
    _GUARDED,
    _JOB_ID,
    Operation,
    _json,
    _path_param,
    _query_param,
)
from convoscope_gateway.routes import browse, mine

# The filters of the browsing routes (convoscope_gateway.browse_filters); repeatable
# parameters mean "any of".
_BROWSE_FILTERS: tuple[tuple[str, Any, str], ...] = (
    ("topic", str, "A topic id (repeatable)."),
    ("model", str, "A model name (repeatable)."),
    ("sentiment", SentimentLabel, "The conversation's sentiment label (repeatable)."),
    ("task_completion", TaskCompletion, "Task completion of the conversation (repeatable)."),
    ("failure_type", FailureType, "Has a failure of this type (repeatable)."),
    ("severity", Severity, "Has a failure of this severity (repeatable)."),
    ("conversation_id", str, "Only this conversation (repeatable)."),
    ("entity_type", str, "Personal data of this type was found in it (repeatable)."),
    ("language", str, "The conversation's dominant language, ISO 639-1 (repeatable)."),
    ("q", Annotated[str, msgspec.Meta(max_length=200)], "Text in the (redacted) title."),
    ("date_from", Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")], "First day."),
    ("date_to", Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")], "Last day."),
    ("date", Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")], "One day."),
    ("month", Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$")], "One month."),
    ("weekday", Annotated[int, msgspec.Meta(ge=0, le=6)], "Weekday, Monday = 0."),
    ("hour", Annotated[int, msgspec.Meta(ge=0, le=23)], "Hour of day."),
    ("role", Literal["user", "assistant"], "Message role (repeatable)."),
)

_PAGING = (
    _query_param(
        "cursor", str, "The next_cursor of the previous page (same filters); omit for page one."
    ),
    _query_param("limit", Annotated[int, msgspec.Meta(ge=1, le=500)], "Items per page."),
)
_INCLUDE_PII = _query_param(
    "include_pii",
    Literal["true", "false"],
    "Original text instead of redacted (403 unless CONVOSCOPE_ALLOW_INCLUDE_PII).",
)


def _browse(
    path: str,
    operation_id: str,
    summary: str,
    schema: str,
    handler: Handler,
    filters: bool = True,
    paged: bool = True,
) -> Operation:
    params = [_JOB_ID, _INCLUDE_PII, *(_PAGING if paged else ())]
    if "{conversation_id}" in path:
        params.insert(1, _path_param("conversation_id", "A conversation id of the analysis."))
    if filters:
        params += [_query_param(n, t, d) for n, t, d in _BROWSE_FILTERS]
    return Operation(
        "get",
        path,
        operation_id,
        summary,
        "browse",
        {200: ("One page.", _json(schema))},
        (403, 404, 409, 410, 422, *_GUARDED),
        parameters=tuple(params),
        handler=handler,
    )


def web_operations() -> tuple[Operation, ...]:
    html = {"text/html": {"schema": {"type": "string"}}}
    return (
        Operation(
            "get",
            "/",
            "getWebApp",
            "The web app (upload, watch, explore, download); open without a key.",
            "web",
            {200: ("The page.", html)},
            (500,),
            public=True,
            handler=webapp.get_index,
        ),
        Operation(
            "get",
            "/assets/{build}/{path}",
            "getWebAsset",
            "A static asset of the web app, cached for a year under its build id.",
            "web",
            {200: ("The file.", {"text/javascript": {}, "text/css": {}, "image/svg+xml": {}})},
            (404, 500),
            parameters=(
                _path_param("build", "The build id the page names."),
                _path_param("path", "The asset's path."),
            ),
            public=True,
            handler=webapp.get_asset,
            route="/assets/{build}/{path:.+}",
        ),
    )


def browse_operations() -> tuple[Operation, ...]:
    base = "/api/analysis/{job_id}"
    return (
        _browse(
            f"{base}/conversations",
            "listConversations",
            "Conversations of a complete analysis with their markers, newest first.",
            "ConversationPage",
            browse.get_conversations,
        ),
        _browse(
            f"{base}/conversations/{{conversation_id}}",
            "getConversation",
            "One conversation: its results, failures and a page of its redacted messages.",
            "ConversationDetail",
            browse.get_conversation,
            filters=False,
        ),
        _browse(
            f"{base}/overview",
            "getOverview",
            "The light results document recomputed for the filter (conversation criteria pick "
            "conversations, dates and roles pick their messages).",
            "LightResults",
            browse.get_overview,
            paged=False,
        ),
        _browse(
            f"{base}/messages",
            "listMessages",
            "Messages (redacted text, sentiment, failure ids) in message-index order.",
            "MessagePage",
            browse.get_messages,
        ),
        _browse(
            f"{base}/failures",
            "listFailures",
            "Failure findings with redacted evidence (filters: failure_type, severity, "
            "conversation_id).",
            "FailurePage",
            browse.get_failures,
        ),
        Operation(
            "get",
            f"{base}/privacy",
            "listPrivacyFindings",
            "Where personal data was found: types and places, never values.",
            "browse",
            {200: ("One page.", _json("PrivacyFindingPage"))},
            (403, 404, 409, 410, 422, *_GUARDED),
            parameters=(
                _JOB_ID,
                _INCLUDE_PII,
                *_PAGING,
                _query_param("entity_type", str, "An entity type (repeatable)."),
                _query_param("conversation_id", str, "A conversation id (repeatable)."),
            ),
            handler=browse.get_privacy_findings,
        ),
        Operation(
            "get",
            "/api/uploads",
            "listUploads",
            "My uploads (this API key's, when keys are on), newest first.",
            "upload",
            {200: ("One page.", _json("UploadPage"))},
            (422, *_GUARDED),
            parameters=_PAGING,
            handler=mine.get_uploads,
        ),
        Operation(
            "get",
            "/api/analyses",
            "listAnalyses",
            "My analyses (this API key's, when keys are on), newest first.",
            "analysis",
            {200: ("One page.", _json("AnalysisPage"))},
            (422, *_GUARDED),
            parameters=(*_PAGING, _query_param("file_id", str, "Only analyses of this upload.")),
            handler=mine.get_analyses,
        ),
    )
