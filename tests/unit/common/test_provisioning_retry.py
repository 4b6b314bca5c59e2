"""Creating a stream whose namesake was just deleted waits out the server's store removal."""

from __future__ import annotations

import pytest
from nats.js.errors import BadRequestError, NotFoundError, ServerError

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


async def test_a_creation_refused_as_a_duplicate_of_one_not_visible_yet_is_tried_again() -> None:
    # Seen on a 3-node cluster when the services provision at once: "exists" to the
    # creation, then "stream not found" to the update.
    created: list[int] = []
    updates: list[int] = []

    async def create() -> None:
        if not created:
            created.append(0)
            raise BadRequestError(code=400, err_code=10058, description="stream name in use")
        created.append(1)

    async def update() -> None:
        updates.append(1)
        raise NotFoundError(code=404, err_code=10059, description="stream not found")

    await provisioning._create_or_update(None, "S", create, update)  # type: ignore[arg-type]
    assert created == [0, 1] and updates == [1]


async def test_a_stream_that_stays_missing_gives_up_with_the_servers_error() -> None:
    async def create() -> None:
        raise BadRequestError(code=400, err_code=10058, description="stream name in use")

    async def update() -> None:
        raise NotFoundError(code=404, err_code=10059, description="stream not found")

    with pytest.raises(NotFoundError):
        await provisioning._create_or_update(None, "S", create, update)  # type: ignore[arg-type]
