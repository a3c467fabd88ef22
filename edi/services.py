"""Writes of the edi app: exporting claims as an 837P interchange (control numbers taken under a row lock,
never reused), and the trail of who downloaded a stored file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import event_record
from batches.choices import BatchKind
from batches.services import batch_create
from claims.selectors import providers_by_npi
from claims.services import ClaimError, claims_sent_record

from .models import MAX_CONTROL_NUMBER, Clearinghouse, Interchange, InterchangeClaim
from .outgoing import Context, claim_record, export_problems, interchange_record, patient_control_number
from .selectors import claims_for_export
from .write837 import render_837p

EXPORT_PERMISSION = "edi.export_claims"
NUMBERS_SHOWN = 10  # claim numbers named per problem in a refusal; the rest are counted


class ExportError(Exception):
    """An export that cannot be made; the message says why in the billing team's words (no patient data)."""


class ExportRefused(ExportError):
    """Claims that cannot go out as an 837P; ``problems`` maps each claim number to what keeps it back."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        by_problem: dict[str, list[str]] = {}
        for number, items in problems.items():
            for item in items:
                by_problem.setdefault(item, []).append(number)
        parts = []
        for item, numbers in by_problem.items():
            shown = ", ".join(numbers[:NUMBERS_SHOWN])
            more = f" and {len(numbers) - NUMBERS_SHOWN} more" if len(numbers) > NUMBERS_SHOWN else ""
            parts.append(f"{shown}{more}: {item}" if len(numbers) > 1 else f"{shown}: {item}")
        super().__init__("Nothing was exported. " + "; ".join(parts) + ".")


def interchange_file_name(clearinghouse: Clearinghouse, control_number: int) -> str:
    """``837P-<clearinghouse>-<ISA13>.txt``: no patient data in a file name."""
    return f"837P-{slugify(clearinghouse.name) or 'clearinghouse'}-{control_number:09d}.txt"


def _checked(claim_ids: list[int], rows: list) -> Context:
    """The mapping context of ``rows`` (the claims of ``claim_ids``), once every claim exists and the 837P can
    carry it; else ``ExportError`` / ``ExportRefused`` naming the claims, in claim-number order."""
    missing = set(claim_ids) - {claim.pk for claim in rows}
    if missing:
        raise ExportError(f"No such claim(s): {', '.join(str(pk) for pk in sorted(missing))}.")
    context = Context(providers=providers_by_npi(
        {claim.billing_npi for claim in rows} | {claim.rendering_npi for claim in rows}))
    by_number = sorted(rows, key=lambda claim: claim.pk)
    problems = {claim.number: found for claim in by_number if (found := export_problems(claim, context))}
    if problems:
        raise ExportRefused(problems)
    return context


def interchange_export(*, claims: Iterable, clearinghouse: Clearinghouse, user, now=None) -> Interchange:
    """Write one 837P interchange of ``claims`` (claims or their primary keys) for ``clearinghouse``.

    One transaction: the clearinghouse row is locked and both control numbers raised by one (a failed export
    rolls back and uses none); every claim must be ready or approved and complete enough for the 837P, else
    nothing is written (``ExportRefused`` names each claim and what is missing); the file is stored with its
    SHA-256; each claim moves to *sent* with a status change naming the file, and the trail gets an event per
    claim and one for the interchange.
    """
    claim_ids = sorted({getattr(item, "pk", item) for item in claims})
    if not claim_ids:
        raise ExportError("No claims selected: nothing was exported and no control number was used.")
    now = now or timezone.now()
    with transaction.atomic():
        house = Clearinghouse.objects.select_for_update().get(pk=clearinghouse.pk)
        if not house.active:
            raise ExportError(f"The clearinghouse {house.name} is not active.")
        rows = list(claims_for_export(claim_ids).select_for_update(of=("self",)))
        context = _checked(claim_ids, rows)
        control_number = house.last_interchange_control_number + 1
        group_number = house.last_group_control_number + 1
        if max(control_number, group_number) > MAX_CONTROL_NUMBER:
            raise ExportError(f"The control numbers of {house.name} are used up (ISA13/GS06 have nine digits).")
        house.last_interchange_control_number, house.last_group_control_number = control_number, group_number
        house.save(update_fields=["last_interchange_control_number", "last_group_control_number"])

        records = [claim_record(claim, context) for claim in rows]
        local = timezone.localtime(now)
        content = render_837p(interchange_record(records=records, clearinghouse=house, control_number=control_number,
                                                 group_control_number=group_number, created=local))
        data = content.encode("ascii")
        interchange = Interchange.objects.create(
            clearinghouse=house,
            control_number=control_number,
            group_control_number=group_number,
            file_name=interchange_file_name(house, control_number),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content=content,
            usage=house.usage,
            claim_count=len(rows),
            created_by=user,
        )
        InterchangeClaim.objects.bulk_create(
            InterchangeClaim(interchange=interchange, claim=claim, patient_control_number=patient_control_number(claim),
                             frequency_code=claim.frequency_code)
            for claim in rows
        )
        trail = {
            "interchange": interchange.pk,
            "file_name": interchange.file_name,
            "sha256": interchange.sha256,
            "interchange_control_number": control_number,
            "group_control_number": group_number,
            "clearinghouse": house.name,
        }
        note = (f"Sent in {interchange.file_name} to {house.name} (ISA13 {control_number:09d}, GS06 {group_number}, "
                f"SHA-256 {interchange.sha256})")
        try:
            claims_sent_record(claim_ids=claim_ids, user=user, note=note, data=trail)
        except ClaimError as error:
            raise ExportError(str(error)) from error
        numbers = [claim.number for claim in sorted(rows, key=lambda claim: claim.pk)]
        event_record(
            action="interchange.exported",
            actor=user,
            object_type="interchange",
            object_id=interchange.pk,
            summary=f"exported {len(rows)} claim(s) as {interchange.file_name} for {house.name}",
            data={**trail, "claims": numbers, "size": interchange.size, "usage": house.usage},
        )
    return interchange


def interchange_downloaded_record(*, interchange: Interchange, user) -> None:
    """A stored 837P was downloaded: the file holds patient data, so who took it is on the trail."""
    event_record(
        action="interchange.downloaded",
        actor=user,
        object_type="interchange",
        object_id=interchange.pk,
        summary=f"downloaded {interchange.file_name}",
        data={"file_name": interchange.file_name, "sha256": interchange.sha256},
    )


def interchange_export_queue(*, claims: Iterable, clearinghouse: Clearinghouse, user, per_file: int | None = None):
    """Export many claims in the background: a batch (``batches``) of one 837P file per part of ``per_file``
    claims (default ``CLAIMDESK_BATCH_CHUNK_SIZE``), run by the workers. The claims are checked here first,
    as the synchronous export does, so what the 837P cannot carry is refused at once (``ExportRefused``) and
    nothing is queued; the control numbers are taken by each part when it runs."""
    claim_ids = sorted({getattr(item, "pk", item) for item in claims})
    if not claim_ids:
        raise ExportError("No claims selected: nothing was exported and no control number was used.")
    if not clearinghouse.active:
        raise ExportError(f"The clearinghouse {clearinghouse.name} is not active.")
    rows = list(claims_for_export(claim_ids))
    _checked(claim_ids, rows)
    # Claims in 837P order (provider, payer, insured), so each file's HL hierarchy stays compact.
    ordered = [claim.pk for claim in sorted(rows, key=lambda c: (c.billing_npi, c.payer_id, c.member_id, c.pk))]
    return batch_create(user=user, kind=BatchKind.EXPORT_837P, items=ordered,
                        params={"clearinghouse": clearinghouse.pk}, file_name=f"837P for {clearinghouse.name}",
                        chunk_size=per_file)
