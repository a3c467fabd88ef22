"""Importing 837P files: claims read from a practice-management system's file, saved and checked.

Two ways in, one path:

* ``file_import`` (``manage.py import_837``): the whole file in one transaction, at once;
* ``file_queue`` (the upload page): the file is read and checked whole at upload, its payers and providers are
  found or added and its ``ImportedFile`` recorded, then a background batch (kind ``import_837``) saves and checks
  the claims chunk by chunk (``import_chunk``: each chunk's claims all saved and checked, or none).

Either way a file is first read whole (``file_read``): a malformed file (``X12Error``: segment number, ID and what
is wrong) or a claim holding a value ClaimDesk cannot do without (``IncomingError``) is refused before anything is
written. The file's SHA-256 is unique on ``ImportedFile``: the same bytes twice import nothing the second time, and
the message names when and by whom the first import was made (never patient data).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from audit.services import event_record, events_deferred
from batches import kinds
from batches.choices import BatchKind, BatchStatus
from batches.services import batch_create
from claims.choices import ProviderKind
from claims.models import Patient, Payer, Provider
from claims.services import claim_check, claim_save, patient_add, provider_save

from .claims837 import read_837p
from .incoming import IncomingClaim, IncomingError, PayerRef, ProviderRef, claim_incoming, model_from
from .models import ImportedClaim, ImportedFile
from .x12 import X12Error


class ImportRefused(Exception):
    """The file is not imported (malformed, a value that cannot be kept, already imported): nothing was written."""


class AlreadyImported(ImportRefused):
    """The same bytes (SHA-256) were imported before: nothing is imported again."""


@dataclass
class FileRead:
    """A file read whole and mapped, nothing written yet."""

    file_name: str
    size: int
    sha256: str
    sender_id: str
    interchange_control_number: str
    version: str
    claims: list[IncomingClaim]

    @property
    def line_count(self) -> int:
        return sum(len(claim.lines) for claim in self.claims)


@dataclass
class References:
    """Payer primary keys by (payer ID, name), and what the import added."""

    payers: dict[tuple[str, str], int] = field(default_factory=dict)
    new_payers: list[list[Any]] = field(default_factory=list)  # [id, name, type, payer ID]
    new_providers: list[list[Any]] = field(default_factory=list)  # [id, name, NPI]
    warnings: list[str] = field(default_factory=list)

    def payer_pk(self, ref: PayerRef | None) -> int | None:
        return None if ref is None else self.payers[(ref.payer_id, ref.name)]

    def as_record(self) -> dict[str, Any]:
        return {"payers": self.new_payers, "providers": self.new_providers, "warnings": self.warnings}


def file_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _refused(file_name: str, error: Exception) -> ImportRefused:
    return ImportRefused(f"{file_name} was not imported: {error}")


def file_read(*, raw: bytes, file_name: str) -> FileRead:
    """Read and map the whole file; ``ImportRefused`` (with the segment, or the claim and element) if it cannot
    be imported whole."""
    limit = settings.CLAIMDESK_IMPORT_MAX_BYTES
    if len(raw) > limit:
        raise ImportRefused(
            f"{file_name} was not imported: it is {filesizeformat(len(raw))}, the largest file accepted is "
            f"{filesizeformat(limit)} (CLAIMDESK_IMPORT_MAX_BYTES)"
        )
    try:
        interchange = read_837p(raw)
    except X12Error as error:
        raise _refused(file_name, error) from None
    if interchange is None or not interchange.claims:
        raise ImportRefused(f"{file_name} was not imported: it holds no claim (CLM)")
    try:
        claims = [claim_incoming(claim, position=n) for n, claim in enumerate(interchange.claims, start=1)]
    except IncomingError as error:
        raise _refused(file_name, error) from None
    return FileRead(
        file_name=file_name[:255],
        size=len(raw),
        sha256=file_sha256(raw),
        sender_id=interchange.sender_id[:15],
        interchange_control_number=str(interchange.control_number)[:9],
        version=interchange.transactions[0].version[:12] if interchange.transactions else "",
        claims=claims,
    )


def duplicate_message(earlier: ImportedFile, file_name: str) -> str:
    local = timezone.localtime(earlier.imported_at)
    claims = f"{earlier.claim_count} claim{'s' if earlier.claim_count != 1 else ''}"
    message = (
        f"{file_name} was not imported: the same file (SHA-256 {earlier.sha256[:12]}…) was imported as "
        f"{earlier.file_name} on {local:%m/%d/%Y at %H:%M} by {earlier.imported_by.get_username()} ({claims}); "
        "nothing was imported again"
    )
    batch = earlier.batch
    if batch is not None and batch.status == BatchStatus.FAILED:
        message += f". Its background import (batch {batch.pk}) failed: open that batch and press Retry for the rest"
    elif batch is not None and batch.status != BatchStatus.DONE:
        message += f". Its background import (batch {batch.pk}) is still running"
    return message


def _file_record(read: FileRead, *, user) -> ImportedFile:
    """The ImportedFile row (its SHA-256 unique): a second import of the same bytes is refused, even at once."""
    earlier = ImportedFile.objects.select_related("imported_by", "batch").filter(sha256=read.sha256).first()
    if earlier is not None:
        raise AlreadyImported(duplicate_message(earlier, read.file_name))
    try:
        with transaction.atomic():
            return ImportedFile.objects.create(
                sha256=read.sha256,
                file_name=read.file_name,
                size=read.size,
                sender_id=read.sender_id,
                interchange_control_number=read.interchange_control_number,
                version=read.version,
                claim_count=len(read.claims),
                line_count=read.line_count,
                imported_by=user,
            )
    except IntegrityError:  # the same file imported by someone else this very moment
        earlier = ImportedFile.objects.select_related("imported_by").get(sha256=read.sha256)
        raise AlreadyImported(duplicate_message(earlier, read.file_name)) from None


def _payer_find(ref: PayerRef) -> Payer | None:
    if ref.payer_id:
        found = Payer.objects.filter(payer_id=ref.payer_id).order_by("pk").first()
        if found is not None:
            return found
    return Payer.objects.filter(name__iexact=ref.name).order_by("pk").first()


def _payer_add(ref: PayerRef, *, user) -> Payer:
    payer = Payer(name=ref.name, payer_type=ref.payer_type, payer_id=ref.payer_id)
    payer.full_clean()
    payer.save()
    event_record(
        action="payer.created",
        actor=user,
        object_type="payer",
        object_id=payer.pk,
        summary=f"added payer {payer.name} ({payer.get_payer_type_display()}) from an imported 837P file",
        data={"payer_id": payer.payer_id, "payer_type": payer.payer_type, "filing_indicator": ref.filing_indicator},
    )
    return payer


def _provider_add(ref: ProviderRef, *, user, references: References) -> None:
    provider = Provider(
        name=ref.name,
        kind=ProviderKind.ORGANISATION if ref.kind == ProviderKind.ORGANISATION else ProviderKind.CLINICIAN,
        npi=ref.npi,
        group_tin=ref.group_tin,
        phone=ref.phone,
        **ref.address,
    )
    try:
        with transaction.atomic():
            provider_save(provider=provider, user=user)
    except ValidationError as error:  # an NPI failing its check digit, a tax ID that is not nine digits
        problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        references.warnings.append(
            f"the {ref.role} provider {ref.name} (NPI {ref.npi}) was not added to the practice's providers: {problems}"
        )
        return
    references.new_providers.append([provider.pk, provider.name, provider.npi])


def references_resolve(claims: list[IncomingClaim], *, user) -> References:
    """Find every payer the claims name (payer ID, then name) and add the missing ones with the type of their SBR09;
    add the billing and rendering providers whose NPI is not in the practice's list."""
    references = References()
    refs = [ref for claim in claims for ref in (claim.payer, claim.secondary_payer) if ref is not None]
    for ref in refs:
        key = (ref.payer_id, ref.name)
        if key in references.payers:
            continue
        payer = _payer_find(ref)
        if payer is None:
            payer = _payer_add(ref, user=user)
            references.new_payers.append([payer.pk, payer.name, payer.payer_type, payer.payer_id])
        references.payers[key] = payer.pk
    npis = {provider.npi for claim in claims for provider in claim.providers}
    seen = set(Provider.objects.filter(npi__in=npis).values_list("npi", flat=True))
    for claim in claims:
        for ref in claim.providers:
            if ref.npi in seen:
                continue
            seen.add(ref.npi)
            _provider_add(ref, user=user, references=references)
    return references


LOOKUP_BATCH = 1000  # member IDs per query when the upload looks for the file's known patients


def patients_add(claims: list[IncomingClaim], *, user) -> set[int]:
    """Add, at upload, the patients of the file that have no record yet; returns the positions of the claims whose
    patient was added (the first claim of each). The claims then only find them: a part that added a
    patient another part also bills would hold that patient's key until it commits, and the other part would
    wait for it (the parts of one file would run one after the other)."""
    first: dict[tuple[str, Any], tuple[int, Patient]] = {}
    for item in claims:
        patient = model_from(Patient, item.patient)  # the patient alone, not the claim and its lines
        first.setdefault((patient.member_id.strip().upper(), patient.date_of_birth), (item.position, patient))
    known = _known_patients(sorted({member_id for member_id, _dob in first}))
    return {
        position for key, (position, patient) in first.items() if key not in known and _patient_add(patient, user=user)
    }


def _known_patients(member_ids: list[str]) -> set[tuple[str, Any]]:
    """(member ID, date of birth) of the patient records with these member IDs, in a few queries."""
    known: set[tuple[str, Any]] = set()
    for start in range(0, len(member_ids), LOOKUP_BATCH):
        rows = Patient.objects.filter(member_id__in=member_ids[start : start + LOOKUP_BATCH])
        known.update(rows.values_list("member_id", "date_of_birth"))
    return known


def _patient_add(patient: Patient, *, user) -> bool:
    """Add a patient record no one had a moment ago; True when added. Another import may add the same patient at
    the same moment: then the unique member ID + date of birth refuses this one, inside a savepoint, and
    ``claim_save`` files the claim under the record the other import added."""
    try:
        with transaction.atomic():
            patient_add(patient=copy.copy(patient), user=user)
    except IntegrityError:
        return False
    except ValidationError as error:
        if "__all__" not in error.message_dict:  # a field the record refuses: not a race, let claim_save say it
            raise
        return False
    return True


def _claim_import(
    item: IncomingClaim,
    *,
    imported_file: ImportedFile,
    payer_pk: int,
    secondary_pk: int | None,
    user,
    today: date | None,
    patient_added: bool = False,
):
    """Save one claim through ``claim_save`` (filed under the patient with its member ID and date of birth, which
    ``patients_add`` made sure of), check it, and record where it came from (``patient_added``: its patient was added
    by this import for this claim). Returns the check's result."""
    claim, lines, patient = item.build()
    claim.payer_id = payer_pk
    warnings = list(item.warnings)
    if secondary_pk == payer_pk:
        warnings.append(f"claim {item.position}: the other payer (2330B) is the claim's own payer: box 9d left blank")
        secondary_pk = None
    claim.secondary_payer_id = secondary_pk
    claim = claim_save(claim=claim, lines=lines, patient=patient, user=user)
    result = claim_check(claim=claim, user=user, today=today)
    ImportedClaim.objects.create(
        imported_file=imported_file,
        claim=claim,
        position=item.position,
        patient_control_number=item.patient_control_number,
        new_patient=patient_added,
        warnings=warnings,
    )
    return result


def _imported_event(
    imported: ImportedFile, *, user, action: str, summary: str, references: References | None = None
) -> None:
    data = {
        "file_name": imported.file_name,
        "sha256": imported.sha256,
        "size": imported.size,
        "interchange_control_number": imported.interchange_control_number,
        "claims": imported.claim_count,
        "lines": imported.line_count,
    }
    if references is not None:
        data["new_payers"] = [row[0] for row in references.new_payers]
        data["new_providers"] = [row[0] for row in references.new_providers]
    event_record(
        action=action, actor=user, object_type="imported_file", object_id=imported.pk, summary=summary, data=data
    )


def file_import(*, raw: bytes, file_name: str, user, today: date | None = None) -> ImportedFile:
    """Import a whole 837P file at once, in one transaction: every claim saved and checked, or nothing."""
    read = file_read(raw=raw, file_name=file_name)
    with transaction.atomic(), events_deferred():
        imported = _file_record(read, user=user)
        # The trail's events are appended when the block ends (``events_deferred``): the trail's lock, which every
        # writer of the trail waits for until the holder commits, is taken only then, after every patient was
        # added, so no one holds it while waiting for a new patient's key (a deadlock on PostgreSQL).
        _imported_event(
            imported,
            user=user,
            action="edi.file_imported",
            summary=f"imported 837P file #{imported.pk}: {imported.claim_count} claims, {imported.line_count} lines",
        )
        references = references_resolve(read.claims, user=user)
        added = patients_add(read.claims, user=user)
        for item in read.claims:
            _claim_import(
                item,
                imported_file=imported,
                payer_pk=references.payer_pk(item.payer),
                secondary_pk=references.payer_pk(item.secondary_payer),
                patient_added=item.position in added,
                user=user,
                today=today,
            )
        imported.created_records = references.as_record()
        imported.save(update_fields=["created_records"])
    return imported


def file_queue(*, raw: bytes, file_name: str, user, today: date | None = None, chunk_size: int | None = None):
    """Read the whole file now (refused at once if malformed or already imported), record it with its payers and
    providers, and queue its claims for the background workers, part by part (``CLAIMDESK_IMPORT_PART_CLAIMS``
    claims each, or ``chunk_size``). Returns the batch."""
    read = file_read(raw=raw, file_name=file_name)
    today = today or timezone.localdate()
    with transaction.atomic(), events_deferred():  # one write of the trail for the file's new patients and records
        imported = _file_record(read, user=user)
        references = references_resolve(read.claims, user=user)
        added = patients_add(read.claims, user=user)
        items = [
            {
                "claim": item.as_json(),
                "payer": references.payer_pk(item.payer),
                "secondary_payer": references.payer_pk(item.secondary_payer),
                "patient_added": item.position in added,
            }
            for item in read.claims
        ]
        batch = batch_create(
            user=user,
            kind=BatchKind.IMPORT_837,
            items=items,
            file_name=read.file_name,
            file_size=read.size,
            file_sha256=read.sha256,
            params={"today": today.isoformat(), "imported_file": imported.pk},
            chunk_size=chunk_size or settings.CLAIMDESK_IMPORT_PART_CLAIMS,
        )
        imported.batch = batch
        imported.created_records = references.as_record()
        imported.save(update_fields=["batch", "created_records"])
        _imported_event(
            imported,
            user=user,
            action="edi.file_queued",
            summary=f"queued 837P file #{imported.pk} for import in batch {batch.pk}: {imported.claim_count} claims",
            references=references,
        )
    return batch


@kinds.register(BatchKind.IMPORT_837)
def import_chunk(chunk) -> dict[str, Any]:
    """Save and check the chunk's claims (in the caller's transaction: all of them, or none)."""
    batch = chunk.batch
    imported = ImportedFile.objects.filter(pk=batch.params.get("imported_file")).first()
    if imported is None:
        raise kinds.ChunkError("the imported file's record is gone; upload the file again")
    today = date.fromisoformat(batch.params["today"])
    with events_deferred():  # the trail's lock only while the part's events are appended (see file_import)
        return _part_import(chunk, batch, imported, today=today)


def _part_import(chunk, batch, imported: ImportedFile, *, today: date) -> dict[str, Any]:
    last = chunk.first_position + chunk.item_count - 1
    event_record(
        action="edi.part_imported",
        actor=batch.created_by,
        object_type="imported_file",
        object_id=imported.pk,
        summary=f"imported part {chunk.number} of 837P file #{imported.pk}: claims {chunk.first_position}–{last}",
        data={"batch": batch.pk, "part": chunk.number, "first": chunk.first_position, "last": last},
    )
    risks: dict[str, int] = {}
    for item in chunk.input:
        result = _claim_import(
            IncomingClaim.from_json(item["claim"]),
            imported_file=imported,
            payer_pk=item["payer"],
            secondary_pk=item["secondary_payer"],
            user=batch.created_by,
            today=today,
            patient_added=item.get("patient_added", False),
        )
        risks[result.risk] = risks.get(result.risk, 0) + 1
    return {"risks": risks}


def _import_results_page(batch) -> str | None:
    imported = ImportedFile.objects.filter(batch=batch).values_list("pk", flat=True).first()
    return reverse("imports:import_detail", args=[imported]) if imported else None


kinds.register_results_page(BatchKind.IMPORT_837, _import_results_page)
