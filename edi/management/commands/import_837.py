"""Import 837P files of claims: ``manage.py import_837 FILE… --user USERNAME``.

Each file is imported whole, at once, in one transaction (``edi.imports.file_import``): its claims are saved and
checked by the rules, as if ``USERNAME`` had uploaded it. Prints per file the claims and lines, the patients,
providers and payers it added, and the claims by risk. A file already imported (same SHA-256) says so and imports
nothing; a malformed file prints the segment number, ID and what is wrong and imports nothing. Exit status 0 when
every file was imported or had been already, 2 when a file could not be imported.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from claims.choices import Risk
from edi.imports import AlreadyImported, ImportRefused, file_import
from edi.models import ImportedFile

NOT_IMPORTED = 2


class Command(BaseCommand):
    help = (
        "Import 837P files (005010X222A1/A2): patients, providers, payers and claims, each claim checked. "
        "A file already imported, or malformed, imports nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="837P files to import.")
        parser.add_argument("--user", required=True, help="The user the claims are imported as (their creator).")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user named {options['user']!r}: --user names who imports the claims.")
        failed = 0
        for name in options["files"]:
            path = Path(name)
            try:
                raw = path.read_bytes()
            except OSError as error:
                self.stderr.write(f"{name}: cannot be read ({error.strerror}); nothing was imported.")
                failed += 1
                continue
            try:
                imported = file_import(raw=raw, file_name=path.name, user=user)
            except AlreadyImported as error:
                self.stderr.write(f"{error}.")
                continue
            except ImportRefused as error:
                self.stderr.write(f"{error}.")
                failed += 1
                continue
            self.stdout.write(summary(imported))
        if failed:
            raise CommandError(f"{failed} file{'s' if failed != 1 else ''} not imported.", returncode=NOT_IMPORTED)


def summary(imported: ImportedFile) -> str:
    """One paragraph per file: counts only, never patient data."""
    claims = imported.imported_claims
    new_patients = claims.filter(new_patient=True).count()
    risks = dict(claims.values_list("claim__risk").annotate(n=Count("pk")).values_list("claim__risk", "n"))
    warnings = sum(len(row) for row in claims.values_list("warnings", flat=True))
    records = imported.created_records
    risk_text = ", ".join(f"{label.lower()} {risks.get(value, 0)}" for value, label in reversed(Risk.choices))
    return (
        f"{imported.file_name}: imported {imported.claim_count} claim{'s' if imported.claim_count != 1 else ''}, "
        f"{imported.line_count} line{'s' if imported.line_count != 1 else ''} (import #{imported.pk})\n"
        f"  new: {new_patients} patient{'s' if new_patients != 1 else ''}, "
        f"{len(records.get('providers', []))} provider(s), {len(records.get('payers', []))} payer(s)\n"
        f"  risk: {risk_text}\n"
        f"  warnings: {warnings + len(records.get('warnings', []))} (listed on the import's page)"
    )
