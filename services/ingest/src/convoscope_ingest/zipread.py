"""Safe reading of export ZIPs, in memory, with every limit checked while inflating.

Only the members ingest needs are decompressed: conversation files, project files and
nested ZIPs (batch ZIPs, Privacy Portal wrappers). The uncompressed total and the
compression ratio are counted from the bytes actually produced, never from headers.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

from convoscope_ingest.errors import (
    CorruptZipError,
    EncryptedZipError,
    TooManyZipMembersError,
    UnsafeZipMemberError,
    ZipBombError,
)
from convoscope_ingest.limits import ParseLimits

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK = 1 << 20
_CONVERSATIONS_FILE = re.compile(r"conversations(?:[-_]\d+)?\.json", re.IGNORECASE)
# Side files we note but never store: they hold the account's email, phone or memories.
_NOTED_SIDE_FILES = frozenset({"users.json", "user.json", "memories.json"})


def is_zip(data: bytes | bytearray) -> bool:
    """Whether ``data`` starts like a ZIP archive."""
    return data.startswith(ZIP_MAGIC)


@dataclass
class ZipMember:
    """One decompressed member; ``name`` shows nesting as ``outer.zip:inner/path``."""

    name: str
    data: bytes


@dataclass
class ZipContents:
    """What an export ZIP held that ingest reads."""

    conversation_files: list[ZipMember] = field(default_factory=list)
    project_files: list[ZipMember] = field(default_factory=list)
    noted_files: list[str] = field(default_factory=list)


def safe_member_name(name: str) -> bool:
    """False for absolute paths, drive letters, ``..`` components and control characters."""
    if not name or "\x00" in name or any(ord(ch) < 32 for ch in name):
        return False
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised):
        return False
    return ".." not in normalised.split("/")


def _shown(name: str) -> str:
    """A member name fit for an error message (bounded length, no control characters)."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name)
    return cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."


class _Budget:
    """Counts the uncompressed bytes of the whole upload, across nested ZIPs."""

    def __init__(self, limits: ParseLimits, upload_size: int) -> None:
        self.limits = limits
        self.upload_size = max(upload_size, 1)
        self.total = 0

    def add(self, count: int, member_produced: int, member_compressed: int, name: str) -> None:
        self.total += count
        limits = self.limits
        if self.total > limits.max_uncompressed_bytes:
            raise ZipBombError(
                f"the ZIP expands to more than {limits.max_uncompressed_bytes // (1 << 20)} MB "
                "of data, which is more than allowed"
            )
        if member_produced > limits.ratio_check_floor_bytes and (
            member_produced / max(member_compressed, 1) > limits.max_compression_ratio
            or self.total / self.upload_size > limits.max_compression_ratio
        ):
            raise ZipBombError(
                f"{_shown(name)} in the ZIP is compressed more than "
                f"{limits.max_compression_ratio:g} times, which looks like a ZIP bomb"
            )


class MemberVisitor(Protocol):
    """What one walk over an export ZIP does with each member ingest cares about."""

    def opened(self, archive: zipfile.ZipFile) -> None:
        """An archive (the upload or a nested ZIP) was opened; the visitor closes it."""

    def inflate(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
        """The member's bytes, charged to the upload's budget (nested ZIPs, projects)."""

    def conversations(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> None:
        """A conversations file."""

    def project(self, shown: str, data: bytes) -> None:
        """A project file, inflated."""

    def noted(self, shown: str) -> None:
        """A side file that is noted but never read (account data, memories)."""


def walk_export_zip(data: bytes | bytearray, limits: ParseLimits, visitor: MemberVisitor) -> None:
    """Walk an export ZIP and its nested ZIPs in archive order, telling ``visitor`` of
    every member ingest reads or notes; one walk for the whole-file and the streamed parse.

    Raises CorruptZipError, UnsafeZipMemberError, TooManyZipMembersError or ZipBombError
    (and whatever the visitor raises).
    """
    _walk(data, "", 0, limits, visitor)


def _walk(
    data: bytes | bytearray,
    prefix: str,
    nesting: int,
    limits: ParseLimits,
    visitor: MemberVisitor,
) -> None:
    archive = _open(data, prefix)
    visitor.opened(archive)
    for info in checked_members(archive, limits):
        if info.is_dir():
            continue
        path = PurePosixPath(info.filename.replace("\\", "/"))
        base = path.name.lower()
        shown = prefix + info.filename
        if base.endswith(".zip"):
            if nesting + 1 >= limits.max_zip_nesting:
                raise ZipBombError("the ZIP nests ZIP files deeper than allowed")
            inner = visitor.inflate(archive, info, shown)
            _walk(inner, shown + ":", nesting + 1, limits, visitor)
        elif _CONVERSATIONS_FILE.fullmatch(base):
            visitor.conversations(archive, info, shown)
        elif base == "projects.json" or (
            base.endswith(".json") and path.parent.name.lower() == "projects"
        ):
            visitor.project(shown, visitor.inflate(archive, info, shown))
        elif base in _NOTED_SIDE_FILES or (
            base.endswith(".json") and path.parent.name.lower() == "memories"
        ):
            visitor.noted(shown)


class _Reader:
    """Inflates every member it is shown: the whole-file parse."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.contents = ZipContents()
        self.archives: list[zipfile.ZipFile] = []

    def opened(self, archive: zipfile.ZipFile) -> None:
        self.archives.append(archive)

    def inflate(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
        return _inflate(archive, info, shown, self.budget)

    def conversations(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> None:
        self.contents.conversation_files.append(
            ZipMember(shown, self.inflate(archive, info, shown))
        )

    def project(self, shown: str, data: bytes) -> None:
        self.contents.project_files.append(ZipMember(shown, data))

    def noted(self, shown: str) -> None:
        self.contents.noted_files.append(shown)


def read_export_zip(data: bytes | bytearray, limits: ParseLimits) -> ZipContents:
    """Decompress the members of an export ZIP that ingest needs.

    Raises CorruptZipError, EncryptedZipError, UnsafeZipMemberError, TooManyZipMembersError
    or ZipBombError; never writes anything anywhere.
    """
    reader = _Reader(_Budget(limits, len(data)))
    try:
        walk_export_zip(data, limits, reader)
    finally:
        for archive in reader.archives:
            archive.close()
    return reader.contents


def _open(data: bytes | bytearray, prefix: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        where = f" ({_shown(prefix.rstrip(':'))})" if prefix else ""
        raise CorruptZipError(f"the ZIP file{where} is damaged and cannot be read") from None


def checked_members(archive: zipfile.ZipFile, limits: ParseLimits) -> list[zipfile.ZipInfo]:
    """The archive's members, refused when there are too many or a path is unsafe."""
    infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise TooManyZipMembersError(
            f"the ZIP contains {len(infos)} files; the limit is {limits.max_zip_members}"
        )
    for info in infos:
        if not safe_member_name(info.filename):
            raise UnsafeZipMemberError(
                f"the ZIP contains a file with an unsafe path ({_shown(info.filename)}); "
                "exports never do"
            )
    return infos


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, budget: _Budget) -> bytes:
    """Read one member in chunks, charging every produced byte to the budget."""
    if info.flag_bits & 0x1:
        raise EncryptedZipError()
    if info.file_size > budget.limits.max_uncompressed_bytes:
        # The header alone already says too much; the counted read below is the real guard.
        raise ZipBombError(
            f"{_shown(shown)} in the ZIP declares more uncompressed data than allowed"
        )
    chunks: list[bytes] = []
    produced = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                produced += len(chunk)
                budget.add(len(chunk), produced, info.compress_size, shown)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptZipError(
            f"{_shown(shown)} in the ZIP is damaged and cannot be read",
            details=type(exc).__name__,
        ) from None
    return b"".join(chunks)
