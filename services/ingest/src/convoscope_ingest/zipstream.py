"""Export ZIPs for the streaming parse: conversation members are inflated in chunks.

:func:`plan_export_zip` walks the archive with :func:`convoscope_ingest.zipread.walk_export_zip`
(same member checks, same nesting, same limits) but leaves the conversation files
compressed; :func:`inflate_chunks` then yields each one in 1 MiB pieces, charging the
live budget as it goes. Because the members are inflated in another order than
``read_export_zip`` does, :meth:`ZipPlan.check_budget_in_archive_order` replays the
budget in archive order at the end, so a ZIP is refused here exactly when it is there.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from convoscope_ingest.errors import (
    CorruptZipError,
    EncryptedZipError,
    ZipBombError,
)
from convoscope_ingest.limits import ParseLimits
from convoscope_ingest.zipread import (
    _CHUNK,
    ZIP_MAGIC,
    _Budget,
    _inflate,
    _shown,
    walk_export_zip,
)

__all__ = ["ZIP_MAGIC", "ConversationMember", "ZipPlan", "inflate_chunks", "plan_export_zip"]


@dataclass
class _Inflation:
    """One member inflated (or to inflate), in archive order, for the budget replay."""

    name: str
    compressed: int
    produced: int = 0


@dataclass
class ConversationMember:
    """A conversations file left compressed until it is streamed."""

    name: str
    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    inflation: _Inflation


@dataclass
class ZipPlan:
    """What an export ZIP holds for ingest, with its open archives."""

    limits: ParseLimits
    upload_size: int
    budget: _Budget
    conversation_members: list[ConversationMember] = field(default_factory=list)
    project_files: list[tuple[str, bytes]] = field(default_factory=list)
    noted_files: list[str] = field(default_factory=list)
    inflations: list[_Inflation] = field(default_factory=list)
    archives: list[zipfile.ZipFile] = field(default_factory=list)

    def close(self) -> None:
        """Close every archive opened for the plan."""
        for archive in self.archives:
            archive.close()

    def check_budget_in_archive_order(self) -> None:
        """Raise :class:`ZipBombError` if ``read_export_zip`` would have refused the ZIP."""
        budget = _Budget(self.limits, self.upload_size)
        for inflation in self.inflations:
            produced = 0
            while produced < inflation.produced:
                step = min(_CHUNK, inflation.produced - produced)
                produced += step
                budget.add(step, produced, inflation.compressed, inflation.name)


def plan_export_zip(data: bytes | bytearray, limits: ParseLimits) -> ZipPlan:
    """Walk the ZIP; inflate project files and nested ZIPs, defer conversation files.

    Raises the same errors as ``read_export_zip`` (CorruptZipError, UnsafeZipMemberError,
    TooManyZipMembersError, ZipBombError, EncryptedZipError). Close the plan when done.
    """
    plan = ZipPlan(limits=limits, upload_size=len(data), budget=_Budget(limits, len(data)))
    try:
        walk_export_zip(data, limits, _Planner(plan))
    except BaseException:
        plan.close()
        raise
    return plan


class _Planner:
    """Inflates nested ZIPs and project files, leaves conversation files compressed."""

    def __init__(self, plan: ZipPlan) -> None:
        self.plan = plan

    def opened(self, archive: zipfile.ZipFile) -> None:
        self.plan.archives.append(archive)

    def inflate(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
        content = _inflate(archive, info, shown, self.plan.budget)
        self.plan.inflations.append(_Inflation(shown, info.compress_size, len(content)))
        return content

    def conversations(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> None:
        inflation = _Inflation(shown, info.compress_size)
        self.plan.inflations.append(inflation)
        self.plan.conversation_members.append(ConversationMember(shown, archive, info, inflation))

    def project(self, shown: str, data: bytes) -> None:
        self.plan.project_files.append((shown, data))

    def noted(self, shown: str) -> None:
        self.plan.noted_files.append(shown)


def inflate_chunks(plan: ZipPlan, member: ConversationMember) -> Iterator[bytes]:
    """Yield the member's uncompressed bytes in 1 MiB chunks, within the budget."""
    info, shown = member.info, member.name
    if info.flag_bits & 0x1:
        raise EncryptedZipError()
    if info.file_size > plan.limits.max_uncompressed_bytes:
        raise ZipBombError(
            f"{_shown(shown)} in the ZIP declares more uncompressed data than allowed"
        )
    produced = 0
    try:
        with member.archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                produced += len(chunk)
                plan.budget.add(len(chunk), produced, info.compress_size, shown)
                member.inflation.produced = produced
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptZipError(
            f"{_shown(shown)} in the ZIP is damaged and cannot be read",
            details=type(exc).__name__,
        ) from None
