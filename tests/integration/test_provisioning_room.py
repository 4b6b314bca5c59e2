"""Provisioning on a machine with less free disk than the configured object stores.

nats-server reserves every stream's ``max_bytes`` against what it may store (by default
75 % of the disk free when it started) and refuses a stream that does not fit with
10047 "insufficient storage resources". Before, ``make run`` on a disk with less than
about 46 GB free could not start at all (and tests failed on a busy shared disk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.provisioning import SMALLEST_OBJECT_STORE, provision
from convoscope_common.storage import Stores
from convoscope_stack.nats_server import NatsServer

pytestmark = pytest.mark.integration

ROOM = 6 * 1024**3  # what this server may reserve: far less than Settings()'s stores


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[NatsServer]:
    config = tmp_path / "nats.conf"
    config.write_text(f"jetstream {{\n  max_file_store: {ROOM}\n}}\n")
    server = NatsServer(tmp_path / "store", config_file=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_object_stores_shrink_to_what_the_server_can_reserve(
    small_server: NatsServer,
) -> None:
    settings = Settings()
    assert settings.store_max_bytes * 3 > ROOM  # the configured stores cannot all fit
    nc = await nats.connect(small_server.url)
    try:
        js = nc.jetstream()
        # A probe stream left by a start that died mid-probe does not stop the next one.
        await js.add_stream(name="CONVOSCOPE_ROOM_PROBE", max_bytes=1024)
        await provision(js, settings)
        first = {s.config.name: s.config.max_bytes for s in await js.streams_info()}
        await provision(js, settings)  # a second service starting finds them as they are
        again = {s.config.name: s.config.max_bytes for s in await js.streams_info()}
        assert again == first  # a restart never shrinks (or regrows) a store
        reserved = 0
        for stream in await js.streams_info():
            reserved += stream.config.max_bytes or 0
        assert reserved <= ROOM
        for store in names.OBJ_STORES:
            info = await js.stream_info(f"OBJ_{store}")
            size = info.config.max_bytes or 0
            assert SMALLEST_OBJECT_STORE <= size <= settings.store_max_bytes
        stores = await Stores.open(js)
        await stores.uploads.put("abc", b"raw export bytes")
        assert (await stores.uploads.get("abc")).data == b"raw export bytes"
    finally:
        await nc.close()


async def test_a_server_with_no_room_at_all_still_fails_clearly(tmp_path: Path) -> None:
    """Below the smallest useful store the error is the server's, not a silent tiny store."""
    config = tmp_path / "nats.conf"
    config.write_text("jetstream {\n  max_file_store: 300MB\n}\n")
    server = NatsServer(tmp_path / "store", config_file=config)
    server.start()
    nc = await nats.connect(server.url)
    try:
        with pytest.raises(nats.js.errors.ServerError) as raised:
            await provision(nc.jetstream(), Settings())
        assert raised.value.err_code == 10047
    finally:
        await nc.close()
        server.stop()
