"""Paginated browsing of a complete analysis: conversations, messages, one conversation,
failure findings and privacy findings (text redacted unless ``include_pii`` is allowed)."""

from __future__ import annotations

from aiohttp import web

from convoscope_gateway.access import job_for
from convoscope_gateway.browse_filters import matching_conversations, matching_messages, parse_query
from convoscope_gateway.browse_index import (
    BrowseIndex,
    conversation_messages,
    message_detail,
    message_row,
)
from convoscope_gateway.browse_types import (
    ConversationDetail,
    ConversationPage,
    FailurePage,
    MessagePage,
    PrivacyFindingPage,
)
from convoscope_gateway.errors import NotFoundError, ValidationError
from convoscope_gateway.jsonio import json_response
from convoscope_gateway.loaded import load_index, wants_pii
from convoscope_gateway.overview import filtered_results
from convoscope_gateway.paging import page_request, slice_page
from convoscope_gateway.state import GATEWAY

# The per-message view of one conversation pages longer than the lists.
CONVERSATION_PAGE = 200


async def _index(request: web.Request) -> BrowseIndex:
    gw = request.app[GATEWAY]
    include_pii = wants_pii(request, gw)
    state = await job_for(request, gw)
    return await load_index(request, gw, state, include_pii)


async def get_conversations(request: web.Request) -> web.Response:
    """Conversations of an analysis, newest first, filtered by the query string."""
    query = parse_query(request.query)
    page = page_request(list(request.query.items()), "conversations")
    index = await _index(request)
    rows = matching_conversations(index, query)
    items, cursor = slice_page(rows, page)
    return json_response(
        ConversationPage(items=items, total=len(rows), limit=page.limit, next_cursor=cursor)
    )


async def get_overview(request: web.Request) -> web.Response:
    """The light results document recomputed for the filter (the dashboard under a filter)."""
    query = parse_query(request.query)
    index = await _index(request)
    return json_response(filtered_results(index, query), request=request)


async def get_messages(request: web.Request) -> web.Response:
    """Messages of an analysis with sentiment and failure markers, in message-index order."""
    query = parse_query(request.query)
    page = page_request(list(request.query.items()), "messages")
    index = await _index(request)
    keys = matching_messages(index, query)
    chunk, cursor = slice_page(keys, page)
    return json_response(
        MessagePage(
            items=[message_row(index, key) for key in chunk],
            total=len(keys),
            limit=page.limit,
            next_cursor=cursor,
        )
    )


async def get_conversation(request: web.Request) -> web.Response:
    """One conversation: its row, per-conversation results, failures and a page of messages."""
    page = page_request(list(request.query.items()), "conversation", CONVERSATION_PAGE)
    index = await _index(request)
    cid = request.match_info["conversation_id"]
    if cid not in index.conversation:
        raise NotFoundError(f"no conversation with id {cid!r} in this analysis")
    keys = conversation_messages(index, cid)
    chunk, cursor = slice_page(keys, page)
    return json_response(
        ConversationDetail(
            conversation=index.rows[cid],
            topic_scores=index.topics.get(cid, []),
            sentiment=index.conv_sentiment.get(cid),
            quality=index.quality.get(cid),
            failures=index.failures.get(cid, []),
            privacy=dict(index.privacy.get(cid, {})),
            messages=[message_detail(index, key) for key in chunk],
            total_messages=len(keys),
            limit=page.limit,
            next_cursor=cursor,
        )
    )


async def get_failures(request: web.Request) -> web.Response:
    """Failure findings (redacted evidence), filtered by type, severity and conversation."""
    query = parse_query(request.query)
    page = page_request(list(request.query.items()), "failures")
    index = await _index(request)
    findings = index.results.quality.failures.findings if index.results.quality else []
    found = [
        f
        for f in findings
        if (not query.failure_types or f.type in query.failure_types)
        and (not query.severities or f.severity in query.severities)
        and (not query.conversation_ids or f.conversation_id in query.conversation_ids)
    ]
    items, cursor = slice_page(found, page)
    return json_response(
        FailurePage(items=items, total=len(found), limit=page.limit, next_cursor=cursor)
    )


async def get_privacy_findings(request: web.Request) -> web.Response:
    """Where personal data was found (types and places, never values)."""
    entity_types = set(request.query.getall("entity_type", []))
    if any(len(t) > 64 for t in entity_types):
        raise ValidationError("entity_type is too long")
    conversation_ids = set(request.query.getall("conversation_id", []))
    page = page_request(list(request.query.items()), "privacy")
    index = await _index(request)
    findings = index.results.privacy.findings if index.results.privacy else []
    found = [
        f
        for f in findings
        if (not entity_types or f.entity_type in entity_types)
        and (not conversation_ids or f.conversation_id in conversation_ids)
    ]
    items, cursor = slice_page(found, page)
    return json_response(
        PrivacyFindingPage(items=items, total=len(found), limit=page.limit, next_cursor=cursor)
    )
