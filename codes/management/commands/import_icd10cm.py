"""``manage.py import_icd10cm FILE [--fiscal-year N]``: one ICD-10-CM edition (a fiscal year's code set)."""

from typing import Any

from django.core.management.base import CommandParser

from codes.importers.command import ImportCommand
from codes.importers.icd10cm import ICD10CMImporter


class Command(ImportCommand):
    help = (
        "Import a CMS ICD-10-CM code file (icd10cm_order_<year>.txt, or icd10cm_codes_<year>.txt: billable codes "
        "only), plain or inside CMS's zip, as the edition of one fiscal year (October 1 to September 30)."
    )
    importer_class = ICD10CMImporter

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--fiscal-year",
            type=int,
            help="Fiscal year of the code set (FY2025: 2024-10-01 to 2025-09-30); default: the year in the file name.",
        )

    def importer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"fiscal_year": options["fiscal_year"]}
