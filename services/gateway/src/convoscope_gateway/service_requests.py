"""Requests to a worker service over NATS request/reply, with one error mapping."""

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


async def ask_service(
    gw: Gateway, subject: str, payload: bytes, *, service: str, timeout: float
) -> bytes:
    """Send ``payload`` to ``service`` on ``subject`` and return the raw reply.

    Raises :class:`ServiceUnavailableError` (503) when none of its processes has
    subscribed within :data:`NO_RESPONDERS_WAIT` or it does not answer within
    ``timeout``; decoding the reply is the caller's (each subject has its own reply type).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + NO_RESPONDERS_WAIT
    pause = NO_RESPONDERS_FIRST_PAUSE
    while True:
        try:
            reply = await gw.nc.request(subject, payload, timeout=timeout)
        except NoRespondersError:
            # Nobody received it, so asking again is safe: a process that is restarting
            # (an analyzer recycled after its job, an ingest after a crash), or whose
            # subscription has not yet reached this gateway's server in a cluster (seen
            # in CI: an upload right after the stack said ready), answers within moments.
            left = deadline - loop.time()
            if left <= 0:
                raise ServiceUnavailableError(
                    f"the {service} service is not running; try again shortly"
                ) from None
            await asyncio.sleep(min(pause, left))
            pause *= 2
            continue
        except (NatsTimeoutError, TimeoutError):
            raise ServiceUnavailableError(f"the {service} service did not answer in time") from None
        return reply.data


async def ask_ingest(gw: Gateway, subject: str, payload: bytes) -> bytes:
    """:func:`ask_service` for the ingest service (its timeout: ``INGEST_TIMEOUT``)."""
    return await ask_service(
        gw, subject, payload, service="ingest", timeout=gw.settings.ingest_timeout
    )
