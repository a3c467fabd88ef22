"""Load ClaimDesk's starter data set (codes/starter/) and the shipped ICD-10-CM editions
(codes/icd10cm_editions/): idempotent, one summary line per table or edition."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from codes.importers.base import ImportFileError
from codes.importers.icd10cm import shipped_importers
from codes.importers.starter import STARTER_IMPORTERS


class Command(BaseCommand):
    help = (
        "Load the starter data: common codes with ClaimDesk's own labels, modifiers, places of service and "
        "the real CMS edit rows among those codes; and the shipped ICD-10-CM editions (FY2021 to FY2026, "
        "complete code sets). Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--without-icd10cm",
            action="store_true",
            help="Leave out the shipped ICD-10-CM editions (about 290,000 rows, a few seconds the first time).",
        )
        parser.add_argument(
            "--icd10cm-year",
            action="append",
            type=int,
            dest="icd10cm_years",
            metavar="YEAR",
            help="Load only the shipped ICD-10-CM edition of this fiscal year (repeat for several).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["icd10cm_years"]
        if years and options["without_icd10cm"]:
            raise CommandError("--without-icd10cm and --icd10cm-year contradict each other")
        importers = [importer_class() for importer_class in STARTER_IMPORTERS]
        if not options["without_icd10cm"]:
            try:
                importers += shipped_importers(years)
            except ValueError as error:
                raise CommandError(str(error)) from error
        lines = []
        try:
            with transaction.atomic():
                for importer in importers:
                    for result in importer.run():
                        lines.append(result.summary_line)
        except ImportFileError as error:
            raise CommandError(f"{error} (nothing was loaded)") from error
        for line in lines:
            self.stdout.write(line)
