"""``python -m convoscope_stack``: run the whole service locally until Ctrl-C or SIGTERM.

Once everything is up, a process that dies is restarted (with backoff; see
``CONVOSCOPE_RESTART_*``); only a failed first start or a signal stops the stack.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from convoscope_stack.stack import Stack, StackError
from convoscope_stack.supervision import PolicyError, policy_from_env


def _cores() -> int:
    """Cores this process may run on: one analyzer each, so concurrent jobs use them all."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    """Start nats-server and every service, print the URL, stop all on a signal."""
    parser = argparse.ArgumentParser(prog="convoscope-stack", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONVOSCOPE_PORT", 5000)))
    parser.add_argument("--host", default=os.environ.get("CONVOSCOPE_HOST", "127.0.0.1"))
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    parser.add_argument("--nats-port", type=int, default=4222)
    parser.add_argument(
        "--nats-url",
        default=os.environ.get("NATS_URL"),
        help="use this NATS server instead of starting one",
    )
    parser.add_argument(
        "--analyzers",
        type=int,
        default=None,
        help="analyzer processes (default: CONVOSCOPE_ANALYZERS, else one per core)",
    )
    args = parser.parse_args(argv)
    try:
        analyzers = args.analyzers or int(os.environ.get("CONVOSCOPE_ANALYZERS") or _cores())
    except ValueError:
        print("convoscope: invalid configuration: CONVOSCOPE_ANALYZERS", file=sys.stderr)
        return 2
    try:
        policy = policy_from_env(os.environ)
    except PolicyError as exc:
        print(f"convoscope: invalid configuration: {exc}", file=sys.stderr)
        return 2

    stop = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    stack = Stack(
        args.data_dir,
        port=args.port,
        host=args.host,
        nats_url=args.nats_url,
        nats_port=args.nats_port,
        analyzer_replicas=max(1, analyzers),
        policy=policy,
    )
    try:
        stack.start()
    except StackError as exc:
        print(f"convoscope: could not start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    print(
        f"ConvoScope is running at {stack.url}  (NATS {stack.nats_url}; logs in "
        f"{stack.log_dir}). Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        # The supervisor thread restarts what dies; this thread only waits for a signal.
        while not stop:
            time.sleep(0.2)
    finally:
        print("convoscope: stopping...", flush=True)
        stack.stop()
        print("convoscope: stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
