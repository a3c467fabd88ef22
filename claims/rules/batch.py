"""The batch check of ``scrub_claims``: claims read as a stream, checked a chunk at a time (in worker
processes for big batches), results handed on in input order as they come.

Nothing here grows with the batch except the set of claim ids (to reject a repeated one): the input
is read claim by claim (``read_claims``, never the whole document; a worker gets each chunk as its JSON
text and decodes it itself), a chunk of ``CHUNK_CLAIMS`` claims is parsed, the reference facts of its
codes not seen before are loaded (``ReferenceData.extend``: memory grows with the codes seen, never
with the claims), the claims are checked and encoded, and a bounded number of chunks is in flight at a
time. The PTP pairs are read from the release's memory-mapped index (``codes.ptp_index``), one copy
for every process.

Which rules run and how findings are ranked is the engine's (``engine.check_claim``); this module only
feeds it.
"""

from __future__ import annotations

import codecs
import gc
import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, BinaryIO

from django.db import connections

from ..output import _refuse_constant
from .context import ClaimContext
from .engine import BatchData, RulePlan, _ensure_rules_loaded, check_claim
from .inputs import NO_CLAIMS_MESSAGE, ScrubInputError, parse_claim
from .reference import ReferenceData

PARALLEL_MINIMUM = 400  # claims; below this one process is faster than starting workers
CHUNK_CLAIMS = 250  # claims parsed, loaded for and checked together
CHUNKS_AHEAD = 3  # chunks in flight per worker process
READ_BYTES = 1 << 20  # bytes of input read at a time

_WORK: dict[str, Any] = {}  # what forked workers inherit: the batch data, plan, today and encoder
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)  # for claims read as text (already checked)


# --- reading the input as a stream ---------------------------------------------------------------------
class _Stream:
    """UTF-8 text of a binary stream, read ``READ_BYTES`` at a time, with the JSON values in it decoded
    one at a time (``json``'s C decoder on a window of the text)."""

    _whitespace = frozenset(" \t\n\r")

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder(parse_constant=_refuse_constant)
        self.text = ""
        self.position = 0
        self.ended = False
        self._lines_before = 0  # lines of the text already dropped from the window
        self._column_base = 0  # characters of the current line already dropped
        while not self.text and self._more():
            pass
        if self.text.startswith("\ufeff"):
            self.position = 1

    def _more(self) -> bool:
        """Read the next block onto the window (dropping the text before ``position``); False at the end
        (the window is then left as it was)."""
        if self.ended:
            return False
        chunk = self._stream.read(READ_BYTES)
        try:
            decoded = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise ScrubInputError("the document is not UTF-8 text") from None
        if not chunk:
            self.ended = True
            return False
        dropped = self.text[: self.position]
        if dropped:
            newlines = dropped.count("\n")
            if newlines:
                self._lines_before += newlines
                self._column_base = len(dropped) - dropped.rindex("\n") - 1
            else:
                self._column_base += len(dropped)
        self.text = self.text[self.position :] + decoded
        self.position = 0
        return True

    def error(self, message: str, position: int) -> ScrubInputError:
        before = self.text[:position]
        line = self._lines_before + before.count("\n") + 1
        column = position - before.rfind("\n") if "\n" in before else self._column_base + position + 1
        return ScrubInputError(f"the document is not valid JSON: {message} (line {line}, column {column})")

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            text, position = self.text, self.position
            while position < len(text) and text[position] in self._whitespace:
                position += 1
            self.position = position
            if position < len(text):
                return text[position]
            if not self._more():
                return ""

    def expect(self, characters: str, what: str) -> str:
        found = self.peek()
        if not found or found not in characters:
            raise self.error(f"Expecting {what}", self.position)
        self.position += 1
        return found

    def value(self) -> Any:
        """The next JSON value; more text is read while the value may go on past the window."""
        return self._value()[0]

    def value_text(self) -> str:
        """The JSON text of the next value (checked by decoding it, as ``value``)."""
        start, end = self._value()[1:]
        return self.text[start:end]

    def _value(self) -> tuple[Any, int, int]:
        """(the next value, where its text starts and ends in the window)."""
        self.peek()
        while True:
            try:
                value, end = self._json.raw_decode(self.text, self.position)
            except json.JSONDecodeError as error:
                # Cut off by the end of the window (within a literal or an escape of it, or inside a
                # string): read on. Anything else is an error where it stands.
                cut = error.pos >= len(self.text) - 8 or error.msg.startswith("Unterminated string")
                if cut and self._more():
                    continue
                raise self.error(error.msg, error.pos) from None
            except ScrubInputError:  # NaN or Infinity
                raise
            except RecursionError:
                raise ScrubInputError("the document is nested too deeply to read") from None
            except ValueError:  # an integer of more digits than Python reads
                raise ScrubInputError("the document holds a number with too many digits to read") from None
            if end >= len(self.text) and self._more():
                continue  # a number or literal may go on in the next block
            start, self.position = self.position, end
            return value, start, end


class ClaimText(str):
    """One claim of a document as its JSON text (``read_claims(as_text=True)``): what the batch hands to its
    worker processes, which decode it themselves (text crosses between processes far more cheaply than
    the decoded objects)."""


def read_claims(stream: BinaryIO, *, as_text: bool = False) -> Iterator[Any]:
    """The values of the ``claims`` list of a scrub document, one at a time, as JSON values (each claim
    is checked by the claim parser), or with ``as_text`` as their ``ClaimText`` (decoded once here all
    the same, so a syntax error is found where it stands); ``ScrubInputError`` for a document that is
    not a JSON object with one ``claims`` list, or is not valid JSON (with the line and column)."""
    reader = _Stream(stream)
    if reader.peek() != "{":
        if reader.peek() in ('"', "[", "-", "t", "f", "n") or reader.peek().isdigit():
            raise ScrubInputError("the document must be a JSON object with a 'claims' list")
        raise reader.error("Expecting value", reader.position)
    reader.position += 1
    seen_claims = False
    first = True
    while True:
        if reader.peek() == "}" and first:
            reader.position += 1
            break
        if reader.peek() != '"':
            raise reader.error("Expecting property name enclosed in double quotes", reader.position)
        key = reader.value()
        reader.expect(":", "':' delimiter")
        if key == "claims":
            if seen_claims:
                raise ScrubInputError("the document has more than one 'claims' list", field="claims")
            seen_claims = True
            if reader.peek() != "[":
                reader.value()  # valid JSON, but not a list
                raise ScrubInputError("the document must have a 'claims' list", field="claims")
            reader.position += 1
            if reader.peek() == "]":
                reader.position += 1
            else:
                while True:
                    yield ClaimText(reader.value_text()) if as_text else reader.value()
                    if reader.expect(",]", "',' delimiter") == "]":
                        break
        else:
            reader.value()
        first = False
        if reader.expect(",}", "',' delimiter") == "}":
            break
    if reader.peek():
        raise reader.error("Extra data", reader.position)
    if not seen_claims:
        raise ScrubInputError("the document must have a 'claims' list", field="claims")


# --- checking -----------------------------------------------------------------------------------------
def _check_chunk(task: tuple[int, list[Any] | str]) -> tuple[list[str], Any]:
    """Parse, load for and check one chunk of claims: (their ids, their results, encoded and combined
    into one piece when the caller gave an encoder and a combiner)."""
    first, raw_claims = task
    if isinstance(raw_claims, str):  # the chunk's claims as one JSON list (``_chunks``)
        raw_claims = _DECODER.decode(raw_claims)
    batch, plan, today = _WORK["batch"], _WORK["plan"], _WORK["today"]
    encode, combine = _WORK["encode"], _WORK["combine"]
    claims = [parse_claim(raw, first + offset, today=today) for offset, raw in enumerate(raw_claims)]
    batch.ref.extend(claims)
    results: list[Any] = []
    for claim in claims:
        ctx = ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits)
        result = check_claim(ctx, plan).as_dict()
        results.append(result if encode is None else encode(result))
    ids = [claim.id for claim in claims]
    return ids, results if encode is None or combine is None else combine(results)


def _start_worker() -> None:
    # Checking claims makes no reference cycles (each claim's objects are freed by reference counting;
    # a test holds this), so in a worker the garbage collector's scans are pure cost.
    gc.disable()


def _forkable_connections() -> bool:
    """Whether worker processes may read the database: not inside a transaction (e.g. a test case, whose
    rows no other connection sees) and not an in-memory SQLite database."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            return False
    connection = connections["default"]
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def _chunks(claims: Iterable[Any], first: int = 1) -> Iterator[tuple[int, list[Any] | str]]:
    """(the number of the chunk's first claim, its claims): a list of raw claims, or, for claims read as
    ``ClaimText``, one JSON list of them."""
    iterator = iter(claims)
    while chunk := list(itertools.islice(iterator, CHUNK_CLAIMS)):
        if all(type(raw) is ClaimText for raw in chunk):
            yield first, f"[{','.join(chunk)}]"
        else:
            yield first, [_DECODER.decode(raw) if type(raw) is ClaimText else raw for raw in chunk]
        first += len(chunk)


def iter_batch(
    claims: Iterable[Any],
    *,
    jobs: int | None = None,
    today: date | None = None,
    encode: Callable[[dict[str, Any]], Any] | None = None,
    combine: Callable[[list[Any]], Any] | None = None,
) -> tuple[dict[str, str], Iterator[Any]]:
    """The batch check of ``scrub_claims``: (reference releases used, the claim results in input order).

    ``claims`` are the raw claims (``read_claims`` of the input, as values or as ``ClaimText``, or a
    document's list). ``jobs``: worker processes (default: one per CPU, at most 8, when there are at least
    ``PARALLEL_MINIMUM`` claims and the workers can read the database; 1 checks in this process). The
    reference facts of the first claims' codes are read before the workers start, once for all of them.
    ``encode`` turns each result into what the caller writes (in the workers, so this process only copies
    text); with ``combine`` as well, the encoded results of a chunk are joined into one piece, and the
    iterator gives such pieces.
    Malformed input raises ``ScrubInputError`` (naming claim, line and field) from the iterator,
    possibly after some results: write to a temporary file and keep it only when the iterator ends.
    """
    _ensure_rules_loaded()
    iterator = iter(claims)
    head = list(itertools.islice(iterator, PARALLEL_MINIMUM))
    today = today or date.today()
    if not head:  # said before any database work
        raise ScrubInputError(NO_CLAIMS_MESSAGE, field="claims")
    # The first claims are parsed here first: a malformed document costs no database work.
    first_claims = [
        parse_claim(_DECODER.decode(raw) if type(raw) is ClaimText else raw, index, today=today)
        for index, raw in enumerate(head, start=1)
    ]
    if jobs is None:
        jobs = max(1, min(os.cpu_count() or 1, 8)) if len(head) >= PARALLEL_MINIMUM else 1
    if jobs > 1 and ("fork" not in multiprocessing.get_all_start_methods() or not _forkable_connections()):
        jobs = 1
    batch = BatchData((), ref=ReferenceData.start(ptp_index=True), load_payers=True)
    # The reference facts of the first claims' codes and the ICD-10-CM code sets of their fiscal years are
    # read before forking, once for every worker; a worker reads those of other codes and years itself.
    batch.ref.extend(first_claims)
    for day in {claim.dos for claim in first_claims}:
        batch.ref.diagnosis_edition(day)
    del first_claims
    work = {
        "batch": batch,
        "plan": RulePlan(batch.ref),
        "today": today,
        "encode": encode,
        "combine": combine if encode is not None else None,
    }
    tasks = _chunks(itertools.chain(head, iterator))
    del head

    def results() -> Iterator[Any]:
        seen: set[str] = set()
        for ids, checked in _run(tasks, jobs, work):
            for claim_id in ids:
                if claim_id in seen:
                    raise ScrubInputError(f"claim ids must be unique; repeated: {claim_id}", field="id")
                seen.add(claim_id)
            if work["combine"] is None:
                yield from checked
            else:
                yield checked
        if not seen:
            raise ScrubInputError(NO_CLAIMS_MESSAGE, field="claims")

    return batch.ref.releases_used(), results()


def _run(
    tasks: Iterator[tuple[int, list[Any] | str]], jobs: int, work: dict[str, Any]
) -> Iterator[tuple[list[str], Any]]:
    """The chunks checked in order: in this process, or in ``jobs`` forked workers with at most
    ``CHUNKS_AHEAD`` chunks per worker in flight (the input is read only as fast as it is checked)."""
    if jobs == 1:
        _WORK.update(work)
        try:
            for task in tasks:
                yield _check_chunk(task)
        finally:
            _WORK.clear()
        return
    # The reference data read so far lives until the end: keep it out of the garbage collector's
    # scans, and keep the workers from copying the pages those scans would touch.
    gc.freeze()
    connections.close_all()  # each worker opens its own connection; no socket shared across the fork
    _WORK.update(work)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
            _WORK.clear()
            pending: deque = deque()
            for task in tasks:
                pending.append(pool.apply_async(_check_chunk, (task,)))
                if len(pending) >= jobs * CHUNKS_AHEAD:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _WORK.clear()
        gc.unfreeze()
