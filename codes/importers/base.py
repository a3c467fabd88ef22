"""What every CMS importer shares: release bookkeeping, atomicity, idempotency, errors, progress.

An importer subclass sets ``source`` and implements:

* ``detect_release()`` -> (label, effective_date) from the file name or content (options override);
* ``load(release, previous)`` -> ``Counts``: parse the file (raising ``ImportFileError`` with line and
  field on bad input) and write the rows of ``release``; ``previous`` is the release it replaces or
  follows (None on a first import), for the added/changed/terminated/unchanged counts.

``run()`` does the rest: one transaction per file (a bad file leaves the database exactly as it was),
the same file imported twice changes nothing, ``dry_run`` rolls everything back (admin preview), and
each loaded table gets one summary line:
``imported <table> <release>: added A, changed C, terminated T, unchanged U, total N``.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from django.db import transaction

from audit.services import event_record

from ..choices import CodeOrigin, Source
from ..classify import classify
from ..models import ProcedureCode, Release


class ImportFileError(Exception):
    """A file that cannot be imported, with where the problem is."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None, field: str | None = None):
        self.path = Path(path)
        self.message = message
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path.name]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class _DryRunRollback(Exception):
    pass


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    terminated: int = 0
    unchanged: int = 0
    total: int = 0


@dataclass
class TableResult:
    """The outcome for one table: the release row (saved, or unsaved in a dry run) and whether it changed."""

    release: Release
    changed_anything: bool
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def summary_line(self) -> str:
        return self.release.summary_line()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_yyyymmdd(value: str, *, path: Path, line: int, field: str, blank_ok: bool = True) -> date | None:
    value = (value or "").strip()
    if not value or (blank_ok and value == "*"):
        if blank_ok:
            return None
        raise ImportFileError(path, "a date is required here (YYYYMMDD)", line=line, field=field)
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise ImportFileError(path, f"'{value}' is not a date in the form YYYYMMDD", line=line, field=field) from None


def parse_julian(value: str, *, path: Path, line: int, field: str) -> date | None:
    """CMS Julian dates YYYYDDD (2024001 = 2024-01-01); blank means none."""
    value = (value or "").strip()
    if value.endswith(".0"):  # spreadsheets hand numbers back as floats
        value = value[:-2]
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%j").date()
    except ValueError:
        raise ImportFileError(path, f"'{value}' is not a date in the form YYYYDDD", line=line, field=field) from None


def read_text(path: Path, encodings: Iterable[str] = ("utf-8",)) -> str:
    """Read a whole text file in the first encoding that fits, or say which ones were tried."""
    data = path.read_bytes()
    if not data.strip():
        raise ImportFileError(path, "the file is empty")
    tried = []
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            tried.append(f"{encoding} (byte {error.start})")
    raise ImportFileError(path, f"the file is not in the expected text encoding; tried {', '.join(tried)}")


def progress(iterable: Iterable, *, total: int | None = None, desc: str = "", unit: str = "rows") -> Iterator:
    """A progress bar on an interactive terminal; silent in CI, tests and pipes."""
    quiet = os.environ.get("CI") or not sys.stderr.isatty() or os.environ.get("CLAIMDESK_NO_PROGRESS")
    if quiet:
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, mininterval=0.5)


def diff_counts(
    previous: Mapping[Any, Any] | None,
    current: Mapping[Any, Any],
    *,
    terminated_now: Any = None,
) -> Counts:
    """Counts for a table keyed by a natural key: values compared as a whole.

    ``terminated_now(old, new)`` may say that a changed row is a termination (it gained a
    termination or deletion date); rows of ``previous`` missing from ``current`` are terminated too.
    """
    counts = Counts(total=len(current))
    previous = previous or {}
    for key, value in current.items():
        if key not in previous:
            counts.added += 1
        elif previous[key] == value:
            counts.unchanged += 1
        elif terminated_now is not None and terminated_now(previous[key], value):
            counts.terminated += 1
        else:
            counts.changed += 1
    counts.terminated += sum(1 for key in previous if key not in current)
    return counts


def ensure_codes_exist(codes: Iterable[str], *, note: str, release: Release | None = None) -> int:
    """Create a ProcedureCode for every valid code not yet known, noting the file it was seen in.

    The engine must know a code exists even when only an edit or fee-schedule file names it.
    Returns how many were created. One query to read, one bulk insert.
    """
    wanted = {c.strip().upper() for c in codes if c and c.strip()}
    known = (
        set(ProcedureCode.objects.filter(code__in=wanted).values_list("code", flat=True))
        if len(wanted) < 5000
        else set(ProcedureCode.objects.values_list("code", flat=True))
    )
    new = []
    for code in sorted(wanted - known):
        result = classify(code)
        if not result:
            continue
        new.append(
            ProcedureCode(
                code=result.code,
                system=result.system,
                cpt_category=result.category,
                hcpcs_section=result.section_letter,
                section=result.section,
                origin=CodeOrigin.EDIT_FILE,
                origin_note=note[:120],
                release=None,
            )
        )
    ProcedureCode.objects.bulk_create(new, batch_size=1000)
    return len(new)


class BaseImporter:
    """Import one file into the tables of one source. Subclasses implement ``detect_release`` and ``load``."""

    source: ClassVar[Source]
    # Encodings the file may come in, tried in order.
    encodings: ClassVar[tuple[str, ...]] = ("utf-8-sig", "cp1252")

    def __init__(
        self,
        path: str | Path,
        *,
        label: str | None = None,
        effective_date: date | None = None,
        imported_by: str = "",
        actor: Any = None,
        dry_run: bool = False,
        is_starter: bool = False,
        **options: Any,
    ):
        self.path = Path(path)
        self.label_option = label
        self.effective_option = effective_date
        self.imported_by = imported_by or _current_user()
        self.actor = actor  # the user the audit trail names (None: the system, e.g. a command line import)
        self.dry_run = dry_run
        self.is_starter = is_starter
        self.options = options
        self.results: list[TableResult] = []

    # --- to implement -------------------------------------------------------------------------
    def detect_release(self) -> tuple[str, date]:
        raise NotImplementedError

    def load(self, release: Release, previous: Release | None) -> Counts:
        raise NotImplementedError

    # --- shared -------------------------------------------------------------------------------
    def error(self, message: str, *, line: int | None = None, field: str | None = None) -> ImportFileError:
        return ImportFileError(self.path, message, line=line, field=field)

    def check_file(self) -> None:
        if not self.path.exists():
            raise self.error("no such file")
        if not self.path.is_file():
            raise self.error("not a file")
        if self.path.stat().st_size == 0:
            raise self.error("the file is empty")
        from .archives import check_archive, is_archive  # (archives imports this module)

        if is_archive(self.path):  # a .zip or an .xlsx: the sizes its members declare must be within the limits
            check_archive(self.path)

    def release_identity(self) -> tuple[str, date]:
        label, effective = (None, None)
        if not (self.label_option and self.effective_option):
            label, effective = self.detect_release()
        return self.label_option or label, self.effective_option or effective

    def previous_release(self, source: str, effective: date, exclude_label: str) -> Release | None:
        """The release this one follows: the newest other release effective on or before it, else the oldest."""
        others = Release.objects.filter(source=source).exclude(label=exclude_label)
        return (
            others.filter(effective_date__lte=effective).order_by("-effective_date", "-imported_at").first()
            or others.order_by("effective_date", "imported_at").first()
        )

    def run(self) -> list[TableResult]:
        """Import the file: all or nothing. Returns one result per table loaded."""
        self.check_file()
        digest = sha256_of(self.path)
        label, effective = self.release_identity()
        try:
            with transaction.atomic():
                self.results = self.import_source(self.source, label, effective, digest)
                if self.dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        return self.results

    def import_source(self, source: str, label: str, effective: date, digest: str) -> list[TableResult]:
        """Load one source's release inside the caller's transaction (an importer may call this per table)."""
        existing = Release.objects.filter(source=source, label=label).first()
        if existing is not None and existing.sha256 == digest:
            # Same file again: nothing changes; report the release as it stands.
            existing.added = existing.changed = existing.terminated = 0
            existing.unchanged = existing.total
            return [TableResult(release=existing, changed_anything=False)]
        self.current_source = source
        previous = self.previous_release(source, effective, exclude_label=label)
        release = existing or Release(source=source, label=label)
        release.effective_date = effective
        release.file_name = self.path.name
        release.sha256 = digest
        release.imported_by = self.imported_by
        release.is_starter = self.is_starter
        release.save()
        if existing is not None:
            self.clear_release(release)
        counts = self.load(release, previous)
        for name in ("added", "changed", "terminated", "unchanged", "total"):
            setattr(release, name, getattr(counts, name))
        release.save()
        if not self.dry_run:
            self.record_release(release)
        return [TableResult(release=release, changed_anything=True)]

    def record_release(self, release: Release) -> None:
        """Put the import on the audit trail, in the import's transaction: one event per release."""
        counts = {name: getattr(release, name) for name in ("added", "changed", "terminated", "unchanged", "total")}
        event_record(
            action="release.imported",
            actor=self.actor,
            object_type="release",
            object_id=release.pk,
            summary=(
                f"imported {release.get_source_display()} release {release.label}: added {release.added}, "
                f"changed {release.changed}, terminated {release.terminated}, unchanged {release.unchanged}"
            ),
            data={
                "source": release.source,
                "label": release.label,
                "effective_date": release.effective_date,
                **counts,
                "sha256": release.sha256,
                "file_name": release.file_name,
                "imported_by": release.imported_by,
                "is_starter": release.is_starter,
            },
        )

    def clear_release(self, release: Release) -> None:
        """Remove the rows a corrected file of the same release replaces (snapshot tables override this)."""


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no login name in some containers
        return ""
