"""Requests to the ingest service over NATS request/reply, with one error mapping."""

from __future__ import annotations

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from convoscope_gateway.errors import ServiceUnavailableError
from convoscope_gateway.state import Gateway


async def ask_ingest(gw: Gateway, subject: str, payload: bytes) -> bytes:
    """Send ``payload`` to ingest on ``subject`` and return the raw reply.

    Raises :class:`ServiceUnavailableError` (503) when no ingest runs or it does not
    answer within ``INGEST_TIMEOUT``; decoding the reply is the caller's (each subject
    has its own reply type).
    """
    try:
        reply = await gw.nc.request(subject, payload, timeout=gw.settings.ingest_timeout)
    except NoRespondersError:
        raise ServiceUnavailableError(
            "the ingest service is not running; try again shortly"
        ) from None
    except (NatsTimeoutError, TimeoutError):
        raise ServiceUnavailableError("the ingest service did not answer in time") from None
    return reply.data
