"""The chunk handlers, one per kind of batch: a registry filled by a decorator.

A handler takes one chunk and writes its results; it runs inside the transaction that marks the chunk done,
so a chunk's results are all written or none. It raises ``ChunkError`` with a message for the billing team
when the chunk cannot be done; any other exception is reported by its class only (its text may hold data
from the file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Batch, Chunk

ChunkHandler = Callable[["Chunk"], dict[str, Any]]
ResultsPage = Callable[["Batch"], "str | None"]
_HANDLERS: dict[str, ChunkHandler] = {}
_RESULTS_PAGES: dict[str, ResultsPage] = {}


class ChunkError(Exception):
    """A chunk could not be done; the message is shown on the batch's page (never patient data)."""


def register(kind: str) -> Callable[[ChunkHandler], ChunkHandler]:
    def decorator(handler: ChunkHandler) -> ChunkHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not handler:
            raise ValueError(f"a chunk handler for {kind!r} is already registered")
        _HANDLERS[kind] = handler
        return handler

    return decorator


def register_results_page(kind: str, page: ResultsPage) -> None:
    """A kind whose results live elsewhere (e.g. the claims an 837P import created): ``page(batch)`` gives the
    address the batch's results page sends the user on to (None: the batch's own results)."""
    _RESULTS_PAGES[kind] = page


def results_page(batch: Batch) -> str | None:
    page = _RESULTS_PAGES.get(batch.kind)
    return page(batch) if page is not None else None


def handler_for(kind: str) -> ChunkHandler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise ChunkError(f"no handler for batches of kind {kind!r}") from None


def registered() -> tuple[str, ...]:
    return tuple(sorted(_HANDLERS))
