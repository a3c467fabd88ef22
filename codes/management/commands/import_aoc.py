"""import_aoc FILE: the CMS NCCI add-on code edit table (.xlsx or .csv)."""

from codes.importers.aoc import AOCImporter
from codes.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Import the CMS NCCI add-on code edits (AOC_V2026Q2-MCR.xlsx or its .csv export)."
    importer_class = AOCImporter
