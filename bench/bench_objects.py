"""Object store throughput: ConvoScope's linear object path against nats-py's own.

Starts a nats-server on loopback with a temporary store, then for 10 / 50 / 100 MB
objects of random bytes measures, in one run:

- write: nats-py ``ObjectStore.put`` (one acknowledged publish per 128 KiB chunk) and
  ``convoscope_common.objects.write_object`` (a window of outstanding acknowledgements);
- read: nats-py ``ObjectStore.get`` (``data += chunk``: quadratic), ``get(writeinto=BytesIO)``
  (linear, one thread hop per chunk) and ``objects.read_object`` (one preallocated buffer);
- the yardstick: copying the same bytes in memory (``bytes(bytearray(data))``).

Prints MB/s per operation. Target for reads and writes: >= 200 MB/s on loopback.
Pass ``--quick`` to skip nats-py's quadratic read for 100 MB (about half a minute).
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import nats

from convoscope_common.objects import read_object, write_object
from convoscope_stack.nats_server import NatsServer

SIZES_MB = (10, 50, 100)


async def _measure(url: str, quick: bool) -> list[tuple[str, int, float]]:
    nc = await nats.connect(url, max_reconnect_attempts=1)
    js = nc.jetstream()
    store = await js.create_object_store("bench-objects")
    rows: list[tuple[str, int, float]] = []
    try:
        for mb in SIZES_MB:
            data = os.urandom(mb * 1024 * 1024)

            started = time.perf_counter()
            bytes(bytearray(data))
            rows.append(("memory copy (yardstick)", mb, time.perf_counter() - started))

            started = time.perf_counter()
            await store.put(f"nats-{mb}", data)
            rows.append(("write: nats-py put", mb, time.perf_counter() - started))

            started = time.perf_counter()
            await write_object(store, f"ours-{mb}", data)
            rows.append(("write: objects.write_object", mb, time.perf_counter() - started))

            if not (quick and mb >= 100):
                started = time.perf_counter()
                got = (await store.get(f"ours-{mb}")).data
                rows.append(("read: nats-py get", mb, time.perf_counter() - started))
                assert got == data

            started = time.perf_counter()
            sink = io.BytesIO()
            await store.get(f"ours-{mb}", writeinto=sink)
            rows.append(("read: nats-py get(writeinto)", mb, time.perf_counter() - started))
            assert sink.getvalue() == data

            started = time.perf_counter()
            got = await read_object(store, f"nats-{mb}")
            rows.append(("read: objects.read_object", mb, time.perf_counter() - started))
            assert got == data
            await store.delete(f"nats-{mb}")
            await store.delete(f"ours-{mb}")
    finally:
        await js.delete_object_store("bench-objects")
        await nc.drain()
    return rows


def main() -> None:
    """Run the measurements and print a table of MB/s."""
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp)) as server:
        rows = asyncio.run(_measure(server.url, quick))
    print(f"{'operation':32} {'MB':>5} {'seconds':>9} {'MB/s':>9}")
    for name, mb, seconds in rows:
        print(f"{name:32} {mb:5d} {seconds:9.3f} {mb / seconds:9.1f}")


if __name__ == "__main__":
    main()
