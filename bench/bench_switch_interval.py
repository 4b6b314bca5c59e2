"""The interpreter's switch interval against an event loop beside computing threads.

An analyzer's event loop (object chunks and their acknowledgements, shard records and
outputs) shares the interpreter lock with the threads that compute (a job, its topic
fit, a shard). Each time the loop wakes it waits up to one switch interval for the lock.
This prints the wall time of loopback round trips on an asyncio loop beside ``--busy``
pure-Python threads, and the CPU the busy threads need for a fixed amount of work,
at each interval (the yardstick: the same round trips with no busy thread).

    python bench/bench_switch_interval.py [--trips 200] [--busy 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import threading
import time

INTERVALS = (0.005, 0.001)


def _echo(ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    ready.put(server.getsockname()[1])

    def serve(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            conn.sendall(data)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def _spin(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def _work(n: int) -> None:
    x = 0
    for i in range(n):
        x += i


async def _trips(port: int, n: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.perf_counter()
    for _ in range(n):
        writer.write(b"x" * 100)
        await writer.drain()
        await reader.readexactly(100)
    took = time.perf_counter() - started
    writer.close()
    return took


def _round_trips(port: int, trips: int, busy: int) -> float:
    stop = threading.Event()
    threads = [threading.Thread(target=_spin, args=(stop,)) for _ in range(busy)]
    for t in threads:
        t.start()
    try:
        return asyncio.run(_trips(port, trips))
    finally:
        stop.set()
        for t in threads:
            t.join()


def _busy_cpu(busy: int) -> float:
    started = time.process_time()
    threads = [threading.Thread(target=_work, args=(5_000_000,)) for _ in range(busy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=200)
    parser.add_argument("--busy", type=int, default=2)
    args = parser.parse_args()
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_echo, args=(ready,), daemon=True)
    server.start()
    port = ready.get()
    alone = _round_trips(port, args.trips, 0)
    print(f"{args.trips} round trips, no busy thread: {alone:.3f} s (1x)")
    for _ in range(2):
        for interval in INTERVALS:
            sys.setswitchinterval(interval)
            took = _round_trips(port, args.trips, args.busy)
            cpu = _busy_cpu(args.busy)
            print(
                f"interval {interval * 1000:.0f} ms: {args.trips} round trips beside "
                f"{args.busy} busy threads {took:.3f} s ({took / alone:.0f}x); "
                f"busy threads' CPU for fixed work {cpu:.3f} s"
            )
    server.terminate()


if __name__ == "__main__":
    main()
