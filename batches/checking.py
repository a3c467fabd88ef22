"""The "check" kind: an uploaded scrub document (scrub-format.md), checked in the background chunk by chunk.

The upload is read and every claim's shape checked before anything is stored (``document_claims``), so a bad
file gets one clear message and creates nothing. Each chunk is then checked by the rules engine as the
``scrub_claims`` command checks a document, on the batch's date (``params["today"]``), so a batch that runs
over midnight gives the same findings as one run of ``claims.rules.check_document`` over the whole file.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from claims.output import parse_json
from claims.rules import check_document
from claims.rules.inputs import ScrubInputError, parse_document

from . import kinds
from .choices import BatchKind
from .models import Chunk, ClaimResult, ResultFinding

# A JSON escape of the NUL character (an odd number of backslashes before u0000): PostgreSQL stores no NUL in
# text or JSON, so such a file is refused up front rather than failing when the batch is saved.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def document_claims(raw: bytes, *, today: date) -> list[dict[str, Any]]:
    """The claims of an uploaded scrub document, every one checked for shape (``ScrubInputError`` names the
    claim, line and field of the first problem)."""
    data = parse_json(raw)
    if _NUL_ESCAPE.search(raw):
        raise ScrubInputError("the document holds a NUL character (\\u0000), which no claim field may contain")
    parse_document(data, today=today)  # all or nothing: the whole document, as the command reads it
    return data["claims"]


def file_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def check_claims_chunk(claims: list[dict[str, Any]], *, today: date) -> dict[str, Any]:
    """The scrub output document of some claims (the engine's entry, ``claims.rules.check_document``)."""
    return check_document({"claims": claims}, today=today)


@kinds.register(BatchKind.CHECK)
def check_chunk(chunk: Chunk) -> dict[str, Any]:
    """Check the chunk's claims and store each one's risk and findings (in the caller's transaction)."""
    today = date.fromisoformat(chunk.batch.params["today"])
    try:
        document = check_claims_chunk(chunk.input, today=today)
    except ScrubInputError as error:  # the upload was checked, so only a changed engine gets here
        raise kinds.ChunkError(f"the checker refused a claim: {error}") from None
    checked = document["claims"]
    if len(checked) != chunk.item_count:
        raise kinds.ChunkError(f"the checker returned {len(checked)} results for {chunk.item_count} claims")
    ClaimResult.objects.filter(chunk=chunk).delete()  # nothing is left from an earlier, interrupted run
    ClaimResult.objects.bulk_create(
        ClaimResult(
            batch_id=chunk.batch_id,
            chunk=chunk,
            position=chunk.first_position + index,
            claim_id=str(claim["id"]),
            risk=claim["risk"],
            finding_count=len(claim["findings"]),
            findings=claim["findings"],
            unchecked=claim.get("unchecked", []),
            unchecked_checks=claim.get("unchecked_checks", []),
        )
        for index, claim in enumerate(checked)
    )
    ids = dict(ClaimResult.objects.filter(chunk=chunk).values_list("position", "pk"))
    ResultFinding.objects.bulk_create(
        ResultFinding(
            batch_id=chunk.batch_id,
            result_id=ids[chunk.first_position + index],
            rule=finding["rule"],
            severity=finding["severity"],
            line=finding["line"],
        )
        for index, claim in enumerate(checked)
        for finding in claim["findings"]
    )
    return {"reference_data": document.get("reference_data", {})}
