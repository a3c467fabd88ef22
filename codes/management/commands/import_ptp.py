"""import_ptp FILE... --setting practitioner|hospital: one release of NCCI PTP edits (the f1..f4 files)."""

from typing import Any

from django.core.management.base import CommandParser

from codes.choices import PTPSetting
from codes.importers.base import BaseImporter
from codes.importers.command import ImportCommand
from codes.importers.ptp import PTPImporter


class Command(ImportCommand):
    help = (
        "Import the NCCI PTP edit files of one quarter (CMS tab-delimited .txt files, .zip files of them, "
        "or the derived .csv.gz). All files given form one release."
    )
    importer_class = PTPImporter
    many_files = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--setting",
            choices=[choice.value for choice in PTPSetting],
            default=PTPSetting.PRACTITIONER.value,
            help="Practitioner (ccipra files) or outpatient hospital (ccioph files). Default: practitioner.",
        )

    def importer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"setting": options["setting"]}

    def build_importers(self, options: dict[str, Any]) -> list[BaseImporter]:
        return [
            PTPImporter(
                list(options["files"]),
                label=options["label"],
                effective_date=options["effective_date"],
                imported_by=options["imported_by"],
                dry_run=options["dry_run"],
                **self.importer_options(options),
            )
        ]
