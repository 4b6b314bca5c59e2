"""Answers drill-down requests over NATS: the ids behind an aggregate of a cached result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from nats.aio.msg import Msg

from convoscope_analyzer.engine import DrilldownQuery, EngineError, drilldown
from convoscope_common.cache import load_results
from convoscope_common.logs import get_logger
from convoscope_common.storage import Stores
from convoscope_common.wire import (
    DrilldownFailed,
    DrilldownIds,
    DrilldownOk,
    DrilldownReply,
    ErrorInfo,
    drilldown_request_decoder,
    encode,
)

log = get_logger(__name__)


async def answer_drilldown(stores: Stores, payload: bytes) -> DrilldownReply:
    """Run one drill-down query against cached results; every failure becomes data."""
    try:
        request = drilldown_request_decoder.decode(payload)
    except msgspec.DecodeError:
        return DrilldownFailed(
            error=ErrorInfo(
                code="bad_request", status=400, message="the drill-down request could not be read"
            )
        )
    try:
        query = msgspec.convert(request.query, DrilldownQuery, strict=False)
    except msgspec.ValidationError as exc:
        return DrilldownFailed(
            error=ErrorInfo(
                code="validation_error", status=422, message=f"invalid drill-down filter: {exc}"
            )
        )
    results = await load_results(stores, request.cache_key)
    if results is None:
        return DrilldownFailed(
            error=ErrorInfo(
                code="results_expired",
                status=404,
                message="the results of this job are no longer cached; run the analysis again",
            )
        )
    try:
        found = drilldown(results, query)
    except EngineError as exc:
        return DrilldownFailed(
            error=ErrorInfo(code="validation_error", status=422, message=str(exc))
        )
    start, end = max(request.offset, 0), max(request.offset, 0) + max(request.limit, 1)
    return DrilldownOk(
        ids=DrilldownIds(
            conversation_ids=found.conversation_ids[start:end],
            message_ids=found.message_ids[start:end],
            conversations=found.conversations,
            messages=found.messages,
            more=end < max(len(found.conversation_ids), len(found.message_ids)),
        )
    )


def make_handler(stores: Stores) -> Callable[[Msg], Awaitable[None]]:
    """The NATS callback for ``convoscope.analyzer.drilldown``."""

    async def handle(msg: Msg) -> None:
        reply = await answer_drilldown(stores, msg.data)
        await msg.respond(encode(reply))

    return handle
