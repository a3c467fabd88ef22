"""import_mue FILE --service-type practitioner|outpatient_hospital|dme: one CMS MUE table."""

from typing import Any

from django.core.management.base import CommandParser

from codes.choices import MUEServiceType
from codes.importers.command import ImportCommand
from codes.importers.mue import MUEImporter


class Command(ImportCommand):
    help = "Import a CMS NCCI MUE table (MCR_MUE_<Setting>Services_Eff_MM-DD-YYYY.csv)."
    importer_class = MUEImporter

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--service-type",
            required=True,
            choices=[choice.value for choice in MUEServiceType],
            help="Which MUE table the file is: practitioner, outpatient_hospital or dme.",
        )

    def importer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"service_type": options["service_type"]}
