"""``manage.py import_cpt FILE``: a licensed CPT data file as CSV (format in codes.importers.cpt)."""

from codes.importers.command import ImportCommand
from codes.importers.cpt import CPTImporter


class Command(ImportCommand):
    help = (
        "Import a licensed CPT CSV: a header row with 'code' and a descriptor column (long_descriptor, "
        "medium_descriptor or short_descriptor). Release from --release or the file name; effective date from "
        "--effective-date or a year in the file name."
    )
    importer_class = CPTImporter
