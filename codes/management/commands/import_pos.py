"""``manage.py import_pos FILE``: the CMS place of service code set (CSV)."""

from codes.importers.command import ImportCommand
from codes.importers.pos import POSImporter


class Command(ImportCommand):
    help = "Import places of service from a CSV with pos_code, pos_type, pos_name, pos_description."
    importer_class = POSImporter
