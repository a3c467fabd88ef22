"""The management-command side of every importer: arguments, error reporting, summary lines."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .base import BaseImporter, ImportFileError


def _iso_date(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--effective-date must be YYYY-MM-DD, not '{value}'") from None


class ImportCommand(BaseCommand):
    """Base for ``import_*`` commands. Subclasses set ``importer_class`` (and may add arguments)."""

    importer_class: type[BaseImporter]
    many_files = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+" if self.many_files else 1, metavar="FILE", type=Path)
        parser.add_argument("--release", dest="label", help="Release label to record (default: from the file name).")
        parser.add_argument(
            "--effective-date", type=_iso_date, help="First date of service of the release (YYYY-MM-DD)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change, then roll back.")
        parser.add_argument("--user", dest="imported_by", default="", help="Who imports (default: login name).")

    def importer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Extra keyword arguments for the importer (subclasses add their own options)."""
        return {}

    def build_importers(self, options: dict[str, Any]) -> list[BaseImporter]:
        common = {
            "label": options["label"],
            "effective_date": options["effective_date"],
            "imported_by": options["imported_by"],
            "dry_run": options["dry_run"],
            **self.importer_options(options),
        }
        return [self.importer_class(path, **common) for path in options["files"]]

    def handle(self, *args: Any, **options: Any) -> None:
        for importer in self.build_importers(options):
            try:
                results = importer.run()
            except ImportFileError as error:
                raise CommandError(f"{error} (nothing was imported)") from error
            for result in results:
                prefix = "[dry run] " if options["dry_run"] else ""
                self.stdout.write(prefix + result.summary_line)
