"""``manage.py import_rvu FILE``: the PFS relative value file (PPRRVU CSV) fee-schedule indicators."""

from codes.importers.command import ImportCommand
from codes.importers.rvu import RVUImporter


class Command(ImportCommand):
    help = "Import the Medicare PFS relative value file (PPRRVU<yy>_<JAN|APR|JUL|OCT>*.csv): status and indicators."
    importer_class = RVUImporter
