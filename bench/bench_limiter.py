"""Load test of the gateway's limiter: random API keys and random client addresses.

Starts the real stack (``make run``'s launcher, authenticated bus) with API keys
configured, 127.0.0.1 as a trusted proxy and the default 600 requests/minute,
then sends, over loopback only, a bounded number of requests (10,000 by
default, each with a fresh random API key; then the same number with a fresh
random ``X-Forwarded-For`` address each) with a time cap. Prints what came back
and the gateway's resident memory before, during and after.

The yardstick is the limiter this replaced, which keyed on whatever key a
request presented and pruned only when someone was denied: replayed in-process
with the same random keys, it kept one entry per key and answered no 429 at all.

    python bench/bench_limiter.py [--requests 10000] [--concurrency 64] [--max-seconds 180]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import secrets
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from convoscope_gateway.limits import MAX_TRACKED, TokenBucket
from convoscope_stack.nats_server import free_port
from convoscope_stack.stack import Stack


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def flood(
    url: str, n: int, concurrency: int, deadline: float, headers_of: object, pid: int
) -> tuple[collections.Counter[int], list[int], float]:
    """Send ``n`` GETs (or until ``deadline``); status counts, RSS samples, seconds taken."""
    statuses: collections.Counter[int] = collections.Counter()
    samples: list[int] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                async with session.get(url, headers=headers_of(i)) as resp:  # type: ignore[operator]
                    await resp.read()
                    statuses[resp.status] += 1
                if i % 1000 == 0:
                    samples.append(rss_kib(pid))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses, samples, time.perf_counter() - started


def yardstick(keys: list[str], per_minute: int) -> tuple[int, int]:
    """The old limiter on the same keys: (entries kept, requests refused)."""

    class OldBucket:  # keyed on the presented key; pruned only on a denial past 10,000
        def __init__(self) -> None:
            self.rate, self.capacity = per_minute / 60.0, float(per_minute)
            self.buckets: dict[str, tuple[float, float]] = {}

        def take(self, client: str, now: float) -> float:
            tokens, last = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self.buckets[client] = (tokens - 1.0, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return 1.0

    old = OldBucket()
    refused = sum(old.take(key, now=0.0) > 0 for key in keys)
    return len(old.buckets), refused


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=180.0)
    args = parser.parse_args(argv)
    per_minute = 600
    env = {
        "CONVOSCOPE_API_KEYS": "bench-key-" + secrets.token_hex(8),
        "CONVOSCOPE_RATE_LIMIT_PER_MINUTE": str(per_minute),
        "CONVOSCOPE_TRUSTED_PROXIES": "127.0.0.1",
        "CONVOSCOPE_LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), port=free_port(), env=env) as stack:
        pid = stack.procs["gateway"].pid
        url = f"{stack.url}/api/openapi.json"
        before = rss_kib(pid)
        deadline = time.monotonic() + args.max_seconds
        keys = [secrets.token_hex(16) for _ in range(args.requests)]

        def random_key(i: int) -> dict[str, str]:
            return {"X-API-Key": keys[i]}

        by_key, rss_keys, secs_keys = asyncio.run(
            flood(url, args.requests, args.concurrency, deadline, random_key, pid)
        )
        after_keys = rss_kib(pid)

        def forwarded(offset: int) -> object:
            def headers(i: int) -> dict[str, str]:
                j = i + offset
                return {"X-Forwarded-For": f"10.{j >> 16 & 255}.{j >> 8 & 255}.{j & 255}"}

            return headers

        # Twice the limiter's bound of distinct addresses: the second half must not grow it.
        rounds = []
        for offset in (0, args.requests):
            counts, samples, secs = asyncio.run(
                flood(url, args.requests, args.concurrency, deadline, forwarded(offset), pid)
            )
            rounds.append((counts, samples, secs, rss_kib(pid)))

    old_entries, old_refused = yardstick(keys, per_minute)
    new = TokenBucket(per_minute)
    for i in range(50_000):
        new.take(f"addr:{i}", now=0.0)
    print(f"limiter: {per_minute}/min per identity, at most {MAX_TRACKED} identities kept")
    sent = sum(by_key.values())
    print(
        f"random keys:      {sent} requests in {secs_keys:.1f} s ({sent / secs_keys:.0f}/s): "
        f"{by_key.get(429, 0)} x 429, {by_key.get(401, 0)} x 401, {by_key.get(200, 0)} x 200"
    )
    for n, (counts, _samples, secs, after) in enumerate(rounds, 1):
        sent_addr = sum(counts.values())
        print(
            f"random addresses, round {n}: {sent_addr} requests in {secs:.1f} s "
            f"({sent_addr / secs:.0f}/s) via a trusted proxy, each address new: "
            f"{counts.get(429, 0)} x 429, {counts.get(401, 0)} x 401 (own budget each); "
            f"gateway RSS after: {after / 1024:.1f} MiB"
        )
    samples_all = rss_keys + [s for r in rounds for s in r[1]]
    print(
        f"gateway RSS: before {before / 1024:.1f} MiB, after random keys "
        f"{after_keys / 1024:.1f} MiB; samples every 1000 requests "
        f"{[round(s / 1024, 1) for s in samples_all]} MiB"
    )
    print(
        f"yardstick (the replaced limiter, same {len(keys)} random keys): kept {old_entries} "
        f"entries and refused {old_refused}; now: one identity, "
        f"{by_key.get(429, 0)} refused"
    )
    print(f"50,000 distinct identities in-process: {len(new.buckets)} entries kept (bound)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
