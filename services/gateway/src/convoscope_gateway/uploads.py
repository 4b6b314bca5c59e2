"""Streaming an upload to a temporary file while hashing it and enforcing the size limit."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import IO

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from convoscope_gateway.errors import (
    BadRequestError,
    EmptyUploadError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

CHUNK = 256 * 1024


@dataclass
class ReceivedUpload:
    """An upload spooled to disk (or memory when small), with its SHA-256."""

    file: IO[bytes]
    size: int
    sha256: str
    filename: str
    content_type: str


async def receive_upload(request: web.Request, max_bytes: int) -> ReceivedUpload:
    """Read the multipart field ``file``; 413 as soon as the stream passes ``max_bytes``."""
    if request.content_length is not None and request.content_length > max_bytes + 64 * 1024:
        raise PayloadTooLargeError(_too_large(max_bytes))
    if not request.content_type.startswith("multipart/"):
        raise UnsupportedMediaTypeError(
            "upload the export as multipart/form-data with the file in the field 'file'"
        )
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:  # aiohttp asserts on a missing boundary
        raise BadRequestError(f"the multipart body could not be read: {exc}") from None
    while True:
        try:
            part = await reader.next()
        except (HttpProcessingError, ValueError):  # e.g. a part header with control characters
            raise BadRequestError(
                "the multipart body could not be read: a part is malformed"
            ) from None
        if part is None:
            raise BadRequestError("no file was sent: put the export in the form field 'file'")
        if isinstance(part, BodyPartReader) and part.name == "file":
            return await _spool(part, max_bytes)
        if isinstance(part, BodyPartReader):
            await part.release()


async def _spool(part: BodyPartReader, max_bytes: int) -> ReceivedUpload:
    digest = hashlib.sha256()
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    size = 0
    try:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLargeError(_too_large(max_bytes))
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise EmptyUploadError(
            "the file is empty: export your conversations again and upload the file"
        )
    spool.seek(0)
    return ReceivedUpload(
        file=spool,
        size=size,
        sha256=digest.hexdigest(),
        filename=part.filename or "",
        content_type=part.headers.get("Content-Type", ""),
    )


def _too_large(max_bytes: int) -> str:
    return f"the file is larger than the upload limit of {max_bytes // (1024 * 1024)} MB"
