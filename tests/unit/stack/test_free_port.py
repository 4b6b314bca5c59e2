"""free_port hands out ports that outgoing connections cannot take in the meantime."""

from __future__ import annotations

import socket

import pytest

from convoscope_stack import nats_server
from convoscope_stack.nats_server import _ephemeral_range, free_port


def test_ports_are_below_the_ephemeral_range_distinct_and_bindable() -> None:
    low, _ = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    for port in ports:
        assert port < low
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_taken_port_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        held = taken.getsockname()[1]
        other = free_port()
        candidates = iter([held, other])

        class Scripted:
            def randrange(self, _low: int, _high: int) -> int:
                return next(candidates)

        monkeypatch.setattr(nats_server.random, "SystemRandom", Scripted)
        monkeypatch.setattr(nats_server, "_handed_out", set())
        assert free_port() == other
