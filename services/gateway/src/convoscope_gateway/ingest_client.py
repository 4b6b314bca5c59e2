"""Requests to the ingest service over NATS request/reply, with one error mapping."""

from __future__ import annotations

import asyncio

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from convoscope_gateway.errors import ServiceUnavailableError
from convoscope_gateway.state import Gateway

# How long a request nobody subscribes to is asked again before the answer is 503, and
# the first pause between two tries (doubling).
NO_RESPONDERS_WAIT = 5.0
NO_RESPONDERS_FIRST_PAUSE = 0.05


async def ask_ingest(gw: Gateway, subject: str, payload: bytes) -> bytes:
    """Send ``payload`` to ingest on ``subject`` and return the raw reply.

    Raises :class:`ServiceUnavailableError` (503) when no ingest has subscribed within
    :data:`NO_RESPONDERS_WAIT` or it does not answer within ``INGEST_TIMEOUT``;
    decoding the reply is the caller's (each subject has its own reply type).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + NO_RESPONDERS_WAIT
    pause = NO_RESPONDERS_FIRST_PAUSE
    while True:
        try:
            reply = await gw.nc.request(subject, payload, timeout=gw.settings.ingest_timeout)
        except NoRespondersError:
            # Nobody received it, so asking again is safe: an ingest that is restarting,
            # or whose subscription has not yet reached this gateway's server in a
            # cluster (seen in CI: an upload right after the stack said ready), answers
            # within moments.
            left = deadline - loop.time()
            if left <= 0:
                raise ServiceUnavailableError(
                    "the ingest service is not running; try again shortly"
                ) from None
            await asyncio.sleep(min(pause, left))
            pause *= 2
            continue
        except (NatsTimeoutError, TimeoutError):
            raise ServiceUnavailableError("the ingest service did not answer in time") from None
        return reply.data
