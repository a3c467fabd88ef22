"""Check a batch of claims for denial risks: ``manage.py scrub_claims INPUT.json [--output OUT] [--format ...]``.

The input and output documents are those of ``scrub-format.md`` (the same as ``POST /api/claims/scrub/``).
Exit status 0 when the claims were checked, whatever was found; 2 for input that cannot be read or is
malformed (the error names the claim id, line and field), in which case nothing is written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from claims.output import RENDERERS, parse_json
from claims.rules.engine import check_batch, default_jobs
from claims.rules.inputs import ScrubInputError

INPUT_ERROR = 2


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, renamed on success."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
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
    help = (
        "Check claims for denial risks. INPUT is a scrub document ({'claims': [...]}, '-' reads standard input). "
        "Prints the result (json by default; csv has one row per finding; text is a report for a terminal) "
        "or writes it to --output. Exit status 0 when checked, 2 for malformed input (nothing is written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="The scrub document (JSON); '-' for standard input.")
        parser.add_argument("--output", "-o", help="Write the result to this file (replaced only on success).")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="json", help="Output format (json).")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Worker processes for big batches (default: one per CPU from 400 claims on; 1 turns them off).",
        )

    def handle(self, *args, **options) -> None:
        source = options["input"]
        try:
            raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {source}: {error.strerror or error}", returncode=INPUT_ERROR) from None
        try:
            data = parse_json(raw)
            del raw
            claims = data.get("claims") if isinstance(data, dict) else None
            jobs = options["jobs"] if options["jobs"] is not None else default_jobs(len(claims or ()))
            document = check_batch(data, jobs=jobs)
            del data
        except ScrubInputError as error:
            raise CommandError(f"{source}: {error}", returncode=INPUT_ERROR) from None
        except DatabaseError as error:
            raise CommandError(
                f"cannot read the reference data ({error}); is the database migrated (manage.py migrate)?"
            ) from None
        text = RENDERERS[options["format"]](document)
        if options["output"]:
            target = Path(options["output"])
            try:
                write_atomically(target, text)
            except OSError as error:
                raise CommandError(f"cannot write {target}: {error.strerror or error}") from None
        else:
            self.stdout.write(text, ending="")
