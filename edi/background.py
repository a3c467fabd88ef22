"""837P exports of many claims in the background: a batch of the "export_837p" kind (``batches``), one 837P
file per part (``CLAIMDESK_BATCH_CHUNK_SIZE`` claims), each written by ``interchange_export`` in the
transaction that marks its part done, so a part's file and its claims' *sent* are committed together or not
at all. A part that cannot be exported fails with the reason (the claims named, never patient data) and may
be retried from the batch's page."""

from __future__ import annotations

from typing import Any

from batches import kinds
from batches.choices import BatchKind

from .models import Clearinghouse
from .services import ExportError, interchange_export


@kinds.register(BatchKind.EXPORT_837P)
def export_chunk(chunk) -> dict[str, Any]:
    batch = chunk.batch
    clearinghouse = Clearinghouse.objects.filter(pk=batch.params.get("clearinghouse")).first()
    if clearinghouse is None:
        raise kinds.ChunkError("the clearinghouse of this export no longer exists")
    try:
        interchange = interchange_export(claims=chunk.input, clearinghouse=clearinghouse, user=batch.created_by)
    except ExportError as error:
        raise kinds.ChunkError(str(error)) from None
    return {
        "interchange": interchange.pk,
        "file_name": interchange.file_name,
        "claims": interchange.claim_count,
        "control_number": interchange.control_number,
    }
