"""A 3-node NATS JetStream cluster of real nats-server processes on loopback, for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from convoscope_stack.nats_server import find_nats_server, free_port


@dataclass
class Node:
    """One server of the cluster."""

    name: str
    port: int
    cluster_port: int
    store: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@dataclass
class LocalCluster:
    """``size`` JetStream servers that route to each other (cluster ``convoscope``)."""

    root: Path
    size: int = 3
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        for i in range(1, self.size + 1):
            store = self.root / f"n{i}"
            self.nodes.append(
                Node(f"n{i}", free_port(), free_port(), store, store / "nats-server.log")
            )

    @property
    def urls(self) -> str:
        """The servers as one comma-separated ``CONVOSCOPE_NATS_URL``."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def start_node(self, node: Node) -> None:
        node.store.mkdir(parents=True, exist_ok=True)
        routes = ",".join(
            f"nats://127.0.0.1:{other.cluster_port}" for other in self.nodes if other is not node
        )
        args = [
            find_nats_server(),
            "-a", "127.0.0.1",
            "-p", str(node.port),
            "-js",
            "-sd", str(node.store),
            "--server_name", node.name,
            "--cluster_name", "convoscope",
            "--cluster", f"nats://127.0.0.1:{node.cluster_port}",
            "--routes", routes,
            "-l", str(node.log),
        ]  # fmt: skip
        node.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start every node and wait until each says it is ready."""
        for node in self.nodes:
            self.start_node(node)
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while "Server is ready" not in _read(node.log):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{node.name} not ready: {_read(node.log)[-500:]}")
                time.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL one node: no goodbye to its peers."""
        node = self.node(name)
        assert node.proc is not None
        os.kill(node.proc.pid, signal.SIGKILL)
        node.proc.wait()
        node.proc = None

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.terminate()
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
