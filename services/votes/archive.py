"""Uploaded files and ZIP archives, within the size limits set by the council.

A ZIP is read member by member with a running budget, so an archive that claims small sizes
but inflates to gigabytes (a ZIP bomb) stops at the limit instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from services.votes.report import ImportProblem
from services.votes.rules import MB, VotesLimits

_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """What a handler or the shell passes in: the file's name and its bytes."""

    name: str
    data: bytes


def is_zip(upload: UploadedFile) -> bool:
    return upload.data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or upload.name.lower().endswith(
        ".zip"
    )


def check_size(upload: UploadedFile, limits: VotesLimits) -> None:
    if len(upload.data) > limits.max_file_bytes:
        raise ImportProblem("votes.error.too_large", size_mb=_mb(len(upload.data)),
                            limit_mb=_mb(limits.max_file_bytes))
    if not upload.data.strip():
        raise ImportProblem("votes.error.empty")


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def _member_name(info: zipfile.ZipInfo) -> str:
    """Names stored without the UTF-8 flag are often cp866 (Windows archivers), not cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "cp866"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _skipped(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.endswith("/") or name.startswith("__MACOSX/") or base.startswith(".") or not base


def unpack(upload: UploadedFile, limits: VotesLimits) -> Iterator[UploadedFile]:
    """The archive's files, in archive order; raises `ImportProblem` past any limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportProblem("votes.error.bad_zip") from None
    with archive:
        infos = [i for i in archive.infolist() if not _skipped(_member_name(i))]
        if len(infos) > limits.max_zip_members:
            raise ImportProblem("votes.error.zip_members", count=len(infos),
                                limit=limits.max_zip_members)
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_unpacked_bytes:
            raise ImportProblem("votes.error.zip_unpacked", limit_mb=_mb(limits.max_unpacked_bytes))
        budget = limits.max_unpacked_bytes
        for info in infos:
            name = _member_name(info)
            if info.flag_bits & 0x1:
                raise ImportProblem("votes.error.zip_encrypted", member=name)
            chunks: list[bytes] = []
            try:
                with archive.open(info) as member:
                    while chunk := member.read(min(_CHUNK, budget + 1)):
                        budget -= len(chunk)
                        if budget < 0:
                            raise ImportProblem("votes.error.zip_unpacked",
                                                limit_mb=_mb(limits.max_unpacked_bytes))
                        chunks.append(chunk)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError):
                raise ImportProblem("votes.error.bad_zip_member", member=name) from None
            data = b"".join(chunks)
            if len(data) > limits.max_file_bytes:
                raise ImportProblem("votes.error.too_large", size_mb=_mb(len(data)),
                                    limit_mb=_mb(limits.max_file_bytes)).at(name)
            yield UploadedFile(name, data)
