"""import_ndc_crosswalk FILE: the CMS ASP NDC-HCPCS crosswalk."""

from codes.importers.command import ImportCommand
from codes.importers.ndc import NDCCrosswalkImporter


class Command(ImportCommand):
    help = "Import the CMS ASP NDC-HCPCS crosswalk (quarterly CSV). NDCs are stored as 11 digits."
    importer_class = NDCCrosswalkImporter
