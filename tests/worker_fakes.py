"""Stand-ins for a JetStream message and a service context, for driving workers directly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from convoscope_common.config import Settings


@dataclass
class FakeSequence:
    stream: int = 0
    consumer: int = 0


@dataclass
class FakeMetadata:
    num_delivered: int = 1
    sequence: FakeSequence = field(default_factory=FakeSequence)


@dataclass
class FakeMsg:
    """Records how a worker settled a JetStream message (ack, nak, term)."""

    data: bytes
    metadata: FakeMetadata = field(default_factory=FakeMetadata)
    settled: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")

    async def in_progress(self) -> None:
        pass


@dataclass
class FakeCtx:
    """The parts of a ServiceContext the workers use; ``nc``/``js`` may be real."""

    settings: Settings = field(default_factory=Settings)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    js: Any = None
    nc: Any = None
