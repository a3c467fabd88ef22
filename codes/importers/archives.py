"""Reading .zip files (and .xlsx workbooks, which are zip files) without trusting what they say.

A small .zip can hold a member that unpacks to gigabytes (a "zip bomb"). Before anything is read:

* the sizes every member declares must add up to at most ``CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES``
  (default 2 GB; a quarter's PTP text files are four of ~30–40 MB each);
* no member above ``RATIO_FLOOR_BYTES`` (1 MB) may unpack to more than ``CLAIMDESK_IMPORT_MAX_RATIO``
  times its compressed size (default 100; the real CMS text files compress about 12–20 times).

Members are then read as streams (``open_member``), never whole into memory, and the bytes actually
unpacked are counted against the same limits: a member that unpacks to more than it declared is refused
too. Every refusal is an ``ImportFileError`` naming the file, the member and the sizes, raised before a
row is written (or inside the import's transaction, which then rolls back): nothing is imported.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .base import ImportFileError

DEFAULT_MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
DEFAULT_MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024**2  # small members (a read-me, an empty sheet) may compress very well
CHUNK_BYTES = 1024**2


def human_size(size: int) -> str:
    """1536 -> '1.5 KB'; sizes in bytes, KB, MB, GB (powers of 1024)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ArchiveLimits:
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    max_ratio: int = DEFAULT_MAX_RATIO
    ratio_floor: int = RATIO_FLOOR_BYTES

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        return cls(
            max_uncompressed=int(
                getattr(settings, "CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)
            ),
            max_ratio=int(getattr(settings, "CLAIMDESK_IMPORT_MAX_RATIO", DEFAULT_MAX_RATIO)),
        )

    def total_problem(self, total: int) -> str | None:
        if total <= self.max_uncompressed:
            return None
        return (
            f"it would unpack to {human_size(total)} ({total} bytes), over the limit of "
            f"{human_size(self.max_uncompressed)} (CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES); nothing was imported"
        )

    def ratio_problem(self, member: str, compressed: int, uncompressed: int) -> str | None:
        if uncompressed <= self.ratio_floor or uncompressed <= max(compressed, 1) * self.max_ratio:
            return None
        ratio = uncompressed / max(compressed, 1)
        return (
            f"member '{member}' unpacks {human_size(compressed)} to {human_size(uncompressed)} "
            f"({uncompressed} bytes, {ratio:.0f}:1), over the limit of {self.max_ratio}:1 "
            "(CLAIMDESK_IMPORT_MAX_RATIO): it looks like a zip bomb; nothing was imported"
        )


def is_archive(path: Path) -> bool:
    """Whether the file is a zip archive (a .zip, or an .xlsx workbook)."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)
    except OSError:
        return False


def check_archive(path: Path, *, limits: ArchiveLimits | None = None) -> list[zipfile.ZipInfo]:
    """The archive's file members, after checking the sizes they declare; else ``ImportFileError``."""
    limits = limits or ArchiveLimits.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ImportFileError(path, f"not a readable .zip file ({error.__class__.__name__})") from None
    problem = limits.total_problem(sum(info.file_size for info in members))
    if problem:
        raise ImportFileError(path, problem)
    for info in members:
        problem = limits.ratio_problem(info.filename, info.compress_size, info.file_size)
        if problem:
            raise ImportFileError(path, problem)
    return members


class _CountedStream(io.RawIOBase):
    """Bytes as they are unpacked, refused past what the member declared (if it declares a size), past
    the total limit, or past the ratio limit."""

    def __init__(self, stream, *, path: Path, member: str, compressed: int, declared: int | None, limits):
        self._stream, self._path, self._member, self._limits = stream, path, member, limits
        self._compressed, self._declared = compressed, declared
        self._count = 0
        self._ceiling = limits.max_uncompressed if declared is None else min(declared, limits.max_uncompressed)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(min(len(buffer), CHUNK_BYTES))
        self._count += len(data)
        if self._count > self._ceiling:
            declared = "" if self._declared is None else f"the {self._declared} bytes it declares, or "
            raise ImportFileError(
                self._path,
                f"'{self._member}' unpacks to more than {declared}the limit of "
                f"{human_size(self._limits.max_uncompressed)} (CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES); "
                "nothing was imported",
            )
        problem = self._limits.ratio_problem(self._member, self._compressed, self._count)
        if problem:
            raise ImportFileError(self._path, problem)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


@contextmanager
def open_member(path: Path, member: str, *, limits: ArchiveLimits | None = None) -> Iterator[io.BufferedReader]:
    """A binary stream of one member, read as it is unpacked (a megabyte at a time), with the limits."""
    limits = limits or ArchiveLimits.from_settings()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ImportFileError(path, f"not a readable .zip file ({error.__class__.__name__})") from None
    with archive:
        try:
            info = archive.getinfo(member)
            raw = archive.open(info)
        except (KeyError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
            raise ImportFileError(path, f"cannot read member '{member}' ({error})") from None
        counted = _CountedStream(
            raw, path=path, member=member, compressed=info.compress_size, declared=info.file_size, limits=limits
        )
        with io.BufferedReader(counted, buffer_size=CHUNK_BYTES) as stream:
            yield stream


def open_gzip_text(path: Path, *, limits: ArchiveLimits | None = None) -> io.TextIOWrapper:
    """A .gz file as UTF-8 text, unpacked as it is read, with the same total and ratio limits."""
    limits = limits or ArchiveLimits.from_settings()
    counted = _CountedStream(
        gzip.open(path, "rb"),  # noqa: SIM115 (closed with the text stream returned)
        path=path,
        member=path.name,
        compressed=path.stat().st_size,
        declared=None,
        limits=limits,
    )
    return io.TextIOWrapper(io.BufferedReader(counted, buffer_size=CHUNK_BYTES), encoding="utf-8", newline="")
