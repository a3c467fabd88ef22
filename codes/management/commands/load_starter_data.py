"""Load ClaimDesk's starter data set (codes/starter/): idempotent, a few seconds, one summary line per table."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from codes.importers.base import ImportFileError
from codes.importers.starter import STARTER_IMPORTERS


class Command(BaseCommand):
    help = (
        "Load the starter data: common codes with ClaimDesk's own labels, modifiers, places of service and "
        "the real CMS edit rows among those codes. Running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        lines = []
        try:
            with transaction.atomic():
                for importer_class in STARTER_IMPORTERS:
                    for result in importer_class().run():
                        lines.append(result.summary_line)
        except ImportFileError as error:
            raise CommandError(f"{error} (nothing was loaded)") from error
        for line in lines:
            self.stdout.write(line)
