"""Check a batch of claims for denial risks: ``manage.py scrub_claims INPUT.json [--output OUT] [--format ...]``.

The input and output documents are those of ``scrub-format.md`` (the same as ``POST /api/claims/scrub/``).
The input is read claim by claim and results are written as they come (with ``--output``), so a batch of
any size runs in bounded memory; printed output is held until every claim is checked.
Exit status 0 when the claims were checked, whatever was found; 2 for input that cannot be read or is
malformed (the error names the claim id, line and field), in which case nothing is written.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from claims.output import FORMATS
from claims.rules.batch import iter_batch, read_claims
from claims.rules.inputs import ScrubInputError

INPUT_ERROR = 2


@contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A file handle whose content replaces ``path`` only when the block ends without an error."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    requires_system_checks = []  # a batch run reads and writes files: the project checks only cost time
    help = (
        "Check claims for denial risks. INPUT is a scrub document ({'claims': [...]}, '-' reads standard input). "
        "Prints the result (json by default; csv has one row per finding; text is a report for a terminal) "
        "or writes it to --output. Exit status 0 when checked, 2 for malformed input (nothing is written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="The scrub document (JSON); '-' for standard input.")
        parser.add_argument("--output", "-o", help="Write the result to this file (replaced only on success).")
        parser.add_argument("--format", choices=sorted(FORMATS), default="json", help="Output format (json).")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Worker processes for big batches (default: one per CPU from 400 claims on; 1 turns them off).",
        )

    def handle(self, *args, **options) -> None:
        source = options["input"]
        try:
            stream = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise CommandError(f"cannot read {source}: {error.strerror or error}", returncode=INPUT_ERROR) from None
        target = Path(options["output"]) if options["output"] else None
        output_format = FORMATS[options["format"]]
        # Reading and checking make no reference cycles: the garbage collector's scans would only cost time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            reference_data, results = iter_batch(
                read_claims(stream, as_text=True),
                jobs=options["jobs"],
                encode=output_format.encode,
                combine=output_format.combine,
            )
            if target is not None:
                # Results are written as they come; the file replaces the target only when all is checked.
                with atomic_output(target) as handle:
                    output_format.write(handle, results, reference_data)
            else:
                buffer = io.StringIO()  # nothing reaches standard output unless every claim was checked
                output_format.write(buffer, results, reference_data)
                self.stdout.write(buffer.getvalue(), ending="")
        except ScrubInputError as error:
            raise CommandError(f"{source}: {error}", returncode=INPUT_ERROR) from None
        except DatabaseError as error:
            raise CommandError(
                f"cannot read the reference data ({error}); is the database migrated (manage.py migrate)?"
            ) from None
        except OSError as error:
            raise CommandError(f"cannot write {target}: {error.strerror or error}") from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
            if collecting:
                gc.enable()
