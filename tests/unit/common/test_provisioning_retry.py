"""Creating a stream whose namesake was just deleted waits out the server's store removal."""

from __future__ import annotations

import pytest
from nats.js.errors import ServerError

from convoscope_common import provisioning


async def test_a_store_still_in_removal_is_retried_until_it_is_created() -> None:
    calls: list[int] = []

    async def make() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ServerError(code=500, err_code=10049, description="error creating store")

    await provisioning._create(make)
    assert len(calls) == 3


async def test_other_server_errors_are_not_retried() -> None:
    calls: list[int] = []

    async def make() -> None:
        calls.append(1)
        raise ServerError(code=500, err_code=10077, description="insufficient resources")

    with pytest.raises(ServerError):
        await provisioning._create(make)
    assert len(calls) == 1


async def test_a_store_that_never_frees_gives_up_with_the_servers_error() -> None:
    async def make() -> None:
        raise ServerError(code=500, err_code=10049, description="error creating store")

    with pytest.raises(ServerError):
        await provisioning._create(make)
