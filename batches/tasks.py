"""The background tasks of the batches app (Django's Tasks API: ``batches.background``)."""

from __future__ import annotations

from . import services
from .background import task


@task()
def batch_chunk_run(chunk_id: int) -> str:
    """Run one chunk of a batch; any worker of the configured backend may take it."""
    return services.chunk_run(chunk_id=chunk_id)
