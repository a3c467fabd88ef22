from django.db import models


class BatchKind(models.TextChoices):
    """What a batch does; each kind has its chunk handler in ``batches.kinds`` (the 837P import and export
    add theirs)."""

    CHECK = "check", "Check a file"
    EXPORT_837P = "export_837p", "Export 837P"  # handler in edi.background: one 837P file per part
    IMPORT_837 = "import_837", "Import an 837P file"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
