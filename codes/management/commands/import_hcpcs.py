"""``manage.py import_hcpcs FILE``: a CMS HCPCS Level II release (.txt fixed-width, .xlsx or its .csv)."""

from codes.importers.command import ImportCommand
from codes.importers.hcpcs import HCPCSImporter


class Command(ImportCommand):
    help = (
        "Import a CMS HCPCS Level II quarterly file (HCPC<year>_<JAN|APR|JUL|OCT>_ANWEB_*.txt or .xlsx): "
        "procedure codes and Level II modifiers."
    )
    importer_class = HCPCSImporter
