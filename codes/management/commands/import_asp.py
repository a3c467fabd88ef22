"""import_asp FILE: the CMS quarterly ASP payment limit file for Part B drugs."""

from codes.importers.asp import ASPImporter
from codes.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Import the CMS ASP payment limits for Medicare Part B drugs (quarterly CSV)."
    importer_class = ASPImporter
