"""The registry of chunk handlers, one per kind of batch (the 837P import and export are to add theirs)."""

from __future__ import annotations

import pytest

from batches import kinds, services
from batches.checking import check_chunk
from batches.choices import BatchKind
from batches.models import Batch


def test_the_check_kind_has_its_handler():
    assert kinds.handler_for(BatchKind.CHECK) is check_chunk
    assert BatchKind.CHECK in kinds.registered()


def test_the_837p_import_kind_has_its_handler_and_its_results_page():
    from edi.imports import import_chunk

    assert kinds.handler_for(BatchKind.IMPORT_837) is import_chunk
    assert BatchKind.IMPORT_837 in kinds._RESULTS_PAGES and BatchKind.CHECK not in kinds._RESULTS_PAGES


def test_a_kind_takes_one_handler_only():
    with pytest.raises(ValueError, match="already registered"):
        kinds.register(BatchKind.CHECK)(lambda chunk: {})


def test_a_kind_without_a_handler_is_refused_before_anything_is_written(db, biller):
    with pytest.raises(kinds.ChunkError, match="no handler for batches of kind 'no_such_kind'"):
        services.batch_create(user=biller, kind="no_such_kind", items=[{"id": "A"}])
    assert not Batch.objects.exists()


def test_a_new_kind_runs_through_the_same_chunks_and_retries(db, biller, monkeypatch):
    """A kind registered by another app is split, run and finished like the check (here: counting items)."""
    monkeypatch.setitem(kinds._HANDLERS, "count", lambda chunk: {"items": len(chunk.input)})
    batch = services.batch_create(user=biller, kind="count", items=list(range(7)), chunk_size=3)
    for chunk in batch.chunks.order_by("number"):
        assert services.chunk_run(chunk_id=chunk.pk) == services.DONE
    batch.refresh_from_db()
    assert batch.status == "done"
    assert [chunk.summary for chunk in batch.chunks.order_by("number")] == [{"items": 3}, {"items": 3}, {"items": 1}]
